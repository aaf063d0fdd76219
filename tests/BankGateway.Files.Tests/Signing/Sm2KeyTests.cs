using NUnit.Framework;
using BankGateway.Files.Signing;

namespace BankGateway.Files.Tests.Signing;

public class Sm2KeyTests
{
    [Test]
    public void Signature_is_DER_and_verifies_for_span_and_stream()
    {
        var key = Sm2KeyGenerator.Generate();
        byte[] data = Sm3Tests.RandomBytes(3 * (1 << 20) + 5, seed: 9);

        byte[] fromSpan = key.Sign(data);
        byte[] fromStream = key.Sign(new MemoryStream(data));

        Assert.Multiple(() =>
        {
            Assert.That(fromSpan[0], Is.EqualTo(0x30));
            Assert.That(key.PublicKey.Verify(data, fromStream), Is.True);
            Assert.That(key.PublicKey.Verify(new MemoryStream(data), fromSpan), Is.True);
            Assert.That(fromSpan, Is.Not.EqualTo(fromStream), "SM2 signatures are randomised");
        });
    }

    [Test]
    public void Garbage_signature_bytes_verify_false_without_throwing()
    {
        var key = Sm2KeyGenerator.Generate();
        Assert.That(key.PublicKey.Verify("x"u8, [0x30, 0x03, 0x02, 0x01]), Is.False);
        Assert.That(key.PublicKey.Verify("x"u8, []), Is.False);
    }

    [Test]
    public void Pem_round_trips_keep_the_same_key()
    {
        var key = Sm2KeyGenerator.Generate();
        string privatePem = key.ToPkcs8Pem();
        string publicPem = key.PublicKey.ToPem();

        var reloaded = Sm2PrivateKey.FromPem(privatePem);
        var reloadedPub = Sm2PublicKey.FromPem(publicPem);

        Assert.Multiple(() =>
        {
            Assert.That(privatePem, Does.StartWith("-----BEGIN PRIVATE KEY-----\n").And.EndWith("-----END PRIVATE KEY-----\n"));
            Assert.That(publicPem, Does.StartWith("-----BEGIN PUBLIC KEY-----\n").And.EndWith("-----END PUBLIC KEY-----\n"));
            Assert.That(reloaded.ToPkcs8Pem(), Is.EqualTo(privatePem));
            Assert.That(reloaded.PublicKey.ToPem(), Is.EqualTo(publicPem));
            Assert.That(reloadedPub.Verify("m"u8, key.Sign("m"u8)), Is.True);
        });
    }

    [Test]
    public void Public_key_pem_names_the_SM2_curve_oid()
    {
        string publicPem = Sm2KeyGenerator.Generate().PublicKey.ToPem();
        byte[] spki = Convert.FromBase64String(string.Concat(publicPem.Split('\n').Where(l => !l.StartsWith("-----"))));
        byte[] sm2Oid = [0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D]; // 1.2.156.10197.1.301
        Assert.That(spki.AsSpan().IndexOf(sm2Oid), Is.GreaterThan(0));
    }

    [Test]
    public void Missing_key_file_is_a_KeyFileException_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), "bg-no-such-key-" + Guid.NewGuid().ToString("N") + ".pem");

        var privEx = Assert.Throws<KeyFileException>(() => Sm2PrivateKey.Load(path));
        var pubEx = Assert.Throws<KeyFileException>(() => Sm2PublicKey.Load(path));

        Assert.That(privEx!.Message, Does.Contain(path).And.Contain("not found"));
        Assert.That(pubEx!.Message, Does.Contain(path).And.Contain("not found"));
    }

    [Test]
    public void Text_that_is_not_PEM_is_a_KeyFileException()
    {
        Assert.Throws<KeyFileException>(() => Sm2PrivateKey.FromPem("hello"));
        Assert.Throws<KeyFileException>(() => Sm2PublicKey.FromPem("hello"));
    }

    [Test]
    public void Public_key_pem_is_not_accepted_as_a_private_key_and_vice_versa()
    {
        var key = Sm2KeyGenerator.Generate();
        var ex = Assert.Throws<KeyFileException>(() => Sm2PrivateKey.FromPem(key.PublicKey.ToPem()));
        Assert.That(ex!.Message, Does.Contain("no private key"));
        Assert.Throws<KeyFileException>(() => Sm2PublicKey.FromPem(key.ToPkcs8Pem()));
    }

    [Test]
    public void Generated_keys_differ()
    {
        string first = Sm2KeyGenerator.Generate().ToPkcs8Pem();
        string second = Sm2KeyGenerator.Generate().ToPkcs8Pem();
        Assert.That(second, Is.Not.EqualTo(first));
    }
}
