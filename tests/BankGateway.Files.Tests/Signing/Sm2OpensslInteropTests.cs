using NUnit.Framework;
using BankGateway.Files.Signing;
using BankGateway.Files.Tests.TestSupport;

namespace BankGateway.Files.Tests.Signing;

/// <summary>Both directions against stock OpenSSL 3, with the exact flags of contract §6.</summary>
[NonParallelizable] // sets BANKGATEWAY_KEY_PASSPHRASE
public class Sm2OpensslInteropTests
{
    private const string DistId = "distid:1234567812345678";
    private OpensslRunner _openssl = null!;

    [SetUp]
    public void SetUp()
    {
        OpensslRunner.RequireOpenssl();
        _openssl = new OpensslRunner();
    }

    [TearDown]
    public void TearDown() => _openssl?.Dispose();

    [Test]
    public void Key_generated_by_openssl_signs_in_the_product_and_openssl_verifies()
    {
        MakeOpensslKeyPair("k.pem", "pub.pem");
        string data = WriteData("F.txt", 100_003);
        var key = Sm2PrivateKey.Load(_openssl.PathOf("k.pem"));

        File.WriteAllBytes(_openssl.PathOf("F.der"), key.Sign(File.ReadAllBytes(data)));

        var result = _openssl.Openssl("dgst", "-sm3", "-verify", "pub.pem", "-sigopt", DistId, "-signature", "F.der", "F.txt");
        Assert.That(result.StdOut.Trim(), Is.EqualTo("Verified OK"), result.StdErr);
    }

    [Test]
    public void Signature_made_by_openssl_verifies_in_the_product()
    {
        MakeOpensslKeyPair("k.pem", "pub.pem");
        string data = WriteData("F.txt", 54_321);
        _openssl.OpensslOk("dgst", "-sm3", "-sign", "k.pem", "-sigopt", DistId, "-out", "F.der", "F.txt");

        var pub = Sm2PublicKey.Load(_openssl.PathOf("pub.pem"));
        byte[] der = File.ReadAllBytes(_openssl.PathOf("F.der"));
        Assert.Multiple(() =>
        {
            Assert.That(pub.Verify(File.ReadAllBytes(data), der), Is.True, "span");
            using var stream = File.OpenRead(data);
            Assert.That(pub.Verify(stream, der), Is.True, "stream");
        });

        // And as a .sig next to the file, through the file-level API.
        File.WriteAllText(SignatureFile.SigPath(data), SignatureFile.Encode(der));
        Assert.That(SignatureFile.Verify(data, pub).Status, Is.EqualTo(SignatureStatus.Valid));
    }

    [Test]
    public void Product_generated_key_pair_is_usable_by_openssl_to_sign_and_verify()
    {
        KeyFiles.WriteKeyPair(_openssl.Directory);
        WriteData("F.txt", 4096);

        // openssl reads both PEMs, signs with our private key and verifies with our public key.
        _openssl.OpensslOk("pkey", "-in", "private.pem", "-noout");
        _openssl.OpensslOk("pkey", "-pubin", "-in", "public.pem", "-noout");
        _openssl.OpensslOk("dgst", "-sm3", "-sign", "private.pem", "-sigopt", DistId, "-out", "F.der", "F.txt");
        var verify = _openssl.Openssl("dgst", "-sm3", "-verify", "public.pem", "-sigopt", DistId, "-signature", "F.der", "F.txt");
        Assert.That(verify.StdOut.Trim(), Is.EqualTo("Verified OK"), verify.StdErr);

        // openssl derives the same public key from our private.pem.
        _openssl.OpensslOk("pkey", "-in", "private.pem", "-pubout", "-out", "derived.pem");
        Assert.That(File.ReadAllText(_openssl.PathOf("derived.pem")), Is.EqualTo(File.ReadAllText(_openssl.PathOf("public.pem"))));

        // And the product verifies openssl's signature with its own public key.
        var pub = Sm2PublicKey.Load(_openssl.PathOf("public.pem"));
        Assert.That(pub.Verify(File.ReadAllBytes(_openssl.PathOf("F.txt")), File.ReadAllBytes(_openssl.PathOf("F.der"))), Is.True);
    }

    [Test]
    public void Contract_command_verifies_a_sig_the_product_wrote()
    {
        MakeOpensslKeyPair("k.pem", "bank_pub.pem");
        string data = WriteData("F", 10_000);
        SignatureFile.Write(data, Sm2PrivateKey.Load(_openssl.PathOf("k.pem")));

        var result = _openssl.Shell(
            "base64 -d F.sig > F.der && openssl dgst -sm3 -verify bank_pub.pem -sigopt distid:1234567812345678 -signature F.der F");

        Assert.That(result.ExitCode, Is.Zero, result.StdErr);
        Assert.That(result.StdOut.Trim(), Is.EqualTo("Verified OK"));
    }

    [Test]
    public void Contract_command_rejects_a_tampered_file()
    {
        MakeOpensslKeyPair("k.pem", "bank_pub.pem");
        string data = WriteData("F", 1000);
        SignatureFile.Write(data, Sm2PrivateKey.Load(_openssl.PathOf("k.pem")));
        FlipOneByte(data, 500);

        var result = _openssl.Shell(
            "base64 -d F.sig > F.der && openssl dgst -sm3 -verify bank_pub.pem -sigopt distid:1234567812345678 -signature F.der F");

        Assert.That(result.ExitCode, Is.Not.Zero);
        Assert.That(result.StdOut, Does.Contain("Verification failure"));
    }

    [Test]
    public void Encrypted_pkcs8_from_openssl_loads_with_the_environment_passphrase()
    {
        MakeOpensslKeyPair("k.pem", "pub.pem");
        _openssl.OpensslOk("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "k.pem", "-passout", "pass:s3cret-phrase", "-out", "enc.pem");
        Assert.That(File.ReadAllText(_openssl.PathOf("enc.pem")), Does.StartWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

        using (new EnvironmentVariableScope(Sm2PrivateKey.PassphraseVariable, "s3cret-phrase"))
        {
            var key = Sm2PrivateKey.Load(_openssl.PathOf("enc.pem"));
            Assert.That(key.PublicKey.ToPem(), Is.EqualTo(File.ReadAllText(_openssl.PathOf("pub.pem"))));
        }
    }

    [Test]
    public void Encrypted_pkcs8_with_the_wrong_passphrase_is_a_KeyFileException_naming_the_file()
    {
        MakeOpensslKeyPair("k.pem", "pub.pem");
        _openssl.OpensslOk("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "k.pem", "-passout", "pass:right", "-out", "enc.pem");
        string path = _openssl.PathOf("enc.pem");

        using (new EnvironmentVariableScope(Sm2PrivateKey.PassphraseVariable, "wrong"))
        {
            var ex = Assert.Throws<KeyFileException>(() => Sm2PrivateKey.Load(path));
            Assert.That(ex!.Message, Does.Contain(path).And.Contain("wrong passphrase"));
        }
    }

    [Test]
    public void Encrypted_pkcs8_without_the_environment_variable_says_it_is_not_set()
    {
        MakeOpensslKeyPair("k.pem", "pub.pem");
        _openssl.OpensslOk("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "k.pem", "-passout", "pass:right", "-out", "enc.pem");
        string path = _openssl.PathOf("enc.pem");

        using (new EnvironmentVariableScope(Sm2PrivateKey.PassphraseVariable, null))
        {
            var ex = Assert.Throws<KeyFileException>(() => Sm2PrivateKey.Load(path));
            Assert.That(ex!.Message, Does.Contain(path).And.Contain("environment variable BANKGATEWAY_KEY_PASSPHRASE is not set"));
        }
    }

    [Test]
    public void Sec1_EC_PRIVATE_KEY_from_openssl_is_accepted()
    {
        MakeOpensslKeyPair("k.pem", "pub.pem");
        // OpenSSL 3 writes SEC1 for an SM2 key as "SM2 PRIVATE KEY"; OpenSSL 1.1 wrote the same DER as "EC PRIVATE KEY".
        _openssl.OpensslOk("ec", "-in", "k.pem", "-out", "sm2sec1.pem");
        string sm2Sec1 = File.ReadAllText(_openssl.PathOf("sm2sec1.pem"));
        Assert.That(sm2Sec1, Does.StartWith("-----BEGIN SM2 PRIVATE KEY-----"));
        File.WriteAllText(_openssl.PathOf("ecsec1.pem"), sm2Sec1.Replace("SM2 PRIVATE KEY", "EC PRIVATE KEY"));
        string expectedPkcs8 = Sm2PrivateKey.Load(_openssl.PathOf("k.pem")).ToPkcs8Pem();

        foreach (string name in new[] { "sm2sec1.pem", "ecsec1.pem" })
        {
            var key = Sm2PrivateKey.Load(_openssl.PathOf(name));
            Assert.That(key.PublicKey.ToPem(), Is.EqualTo(File.ReadAllText(_openssl.PathOf("pub.pem"))), name);
            Assert.That(key.ToPkcs8Pem(), Is.EqualTo(expectedPkcs8), name);
        }
    }

    [Test]
    public void Ecparam_genkey_output_with_a_parameters_block_first_is_accepted()
    {
        _openssl.OpensslOk("ecparam", "-name", "SM2", "-genkey", "-out", "ecparam.pem");
        _openssl.OpensslOk("pkey", "-in", "ecparam.pem", "-pubout", "-out", "pub.pem");
        Assert.That(File.ReadAllText(_openssl.PathOf("ecparam.pem")), Does.Contain("PARAMETERS-----"));

        var key = Sm2PrivateKey.Load(_openssl.PathOf("ecparam.pem"));

        Assert.That(key.PublicKey.ToPem(), Is.EqualTo(File.ReadAllText(_openssl.PathOf("pub.pem"))));
    }

    [Test]
    public void Keys_on_another_curve_are_rejected_with_the_file_name()
    {
        _openssl.OpensslOk("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", "p256.pem");
        _openssl.OpensslOk("pkey", "-in", "p256.pem", "-pubout", "-out", "p256pub.pem");
        string priv = _openssl.PathOf("p256.pem"), pub = _openssl.PathOf("p256pub.pem");

        var privEx = Assert.Throws<KeyFileException>(() => Sm2PrivateKey.Load(priv));
        var pubEx = Assert.Throws<KeyFileException>(() => Sm2PublicKey.Load(pub));

        Assert.That(privEx!.Message, Does.Contain(priv).And.Contain("not an SM2 key").And.Contain("prime256v1").IgnoreCase);
        Assert.That(pubEx!.Message, Does.Contain(pub).And.Contain("not an SM2 key"));
    }

    [Test]
    public void Rsa_keys_are_rejected_as_not_SM2()
    {
        _openssl.OpensslOk("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "rsa.pem");
        string path = _openssl.PathOf("rsa.pem");

        var ex = Assert.Throws<KeyFileException>(() => Sm2PrivateKey.Load(path));

        Assert.That(ex!.Message, Does.Contain(path).And.Contain("not an SM2 key"));
    }

    private void MakeOpensslKeyPair(string privateName, string publicName)
    {
        _openssl.OpensslOk("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", privateName);
        _openssl.OpensslOk("pkey", "-in", privateName, "-pubout", "-out", publicName);
    }

    private string WriteData(string name, int length)
    {
        string path = _openssl.PathOf(name);
        File.WriteAllBytes(path, Sm3Tests.RandomBytes(length, seed: length));
        return path;
    }

    internal static void FlipOneByte(string path, int offset)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }
}
