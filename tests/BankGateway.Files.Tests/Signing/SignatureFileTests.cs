using NUnit.Framework;
using System.Text;
using BankGateway.Files.Signing;

namespace BankGateway.Files.Tests.Signing;

public class SignatureFileTests
{
    private static readonly Sm2PrivateKey Key = Sm2KeyGenerator.Generate();
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "bg-sig-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Sig_path_is_the_file_name_plus_dot_sig()
    {
        Assert.That(SignatureFile.SigPath("/x/ZF_1.txt"), Is.EqualTo("/x/ZF_1.txt.sig"));
    }

    [Test]
    public void Written_signature_verifies_as_Valid()
    {
        string file = WriteFile("ZF.txt", 200_000);
        SignatureFile.Write(file, Key);

        var check = SignatureFile.Verify(file, Key.PublicKey);

        Assert.That(check.Status, Is.EqualTo(SignatureStatus.Valid), check.Message);
        Assert.That(check.IsValid, Is.True);
    }

    [Test]
    public void Sig_file_is_one_line_of_base64_DER_ending_in_a_single_LF_and_leaves_no_temp_file()
    {
        string file = WriteFile("ZF.txt", 10);
        SignatureFile.Write(file, Key);

        string text = File.ReadAllText(SignatureFile.SigPath(file));
        Assert.That(text, Does.Match("^[A-Za-z0-9+/]+={0,2}\n$"));
        byte[] der = Convert.FromBase64String(text.TrimEnd('\n'));
        Assert.That(der[0], Is.EqualTo(0x30), "DER SEQUENCE");
        Assert.That(Key.PublicKey.Verify(File.ReadAllBytes(file), der), Is.True);
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { "ZF.txt", "ZF.txt.sig" }));
    }

    [Test]
    public void Rewriting_replaces_an_existing_sig_and_a_stale_temp_file()
    {
        string file = WriteFile("ZF.txt", 10);
        File.WriteAllText(SignatureFile.SigPath(file), "old");
        File.WriteAllText(Path.Combine(_dir, ".ZF.txt.sig.tmp"), "left over from a crash");

        SignatureFile.Write(file, Key);

        Assert.That(SignatureFile.Verify(file, Key.PublicKey).Status, Is.EqualTo(SignatureStatus.Valid));
        Assert.That(File.Exists(Path.Combine(_dir, ".ZF.txt.sig.tmp")), Is.False);
    }

    [Test]
    public void Empty_file_can_be_signed_and_verified()
    {
        string file = WriteFile("empty.txt", 0);
        SignatureFile.Write(file, Key);
        Assert.That(SignatureFile.Verify(file, Key.PublicKey).Status, Is.EqualTo(SignatureStatus.Valid));
    }

    [Test]
    public void Tampered_file_with_one_byte_flipped_is_Invalid()
    {
        string file = WriteFile("ZF.txt", 5000);
        SignatureFile.Write(file, Key);
        Sm2OpensslInteropTests.FlipOneByte(file, 4321);

        var check = SignatureFile.Verify(file, Key.PublicKey);

        Assert.That(check.Status, Is.EqualTo(SignatureStatus.Invalid));
        Assert.That(check.Message, Does.Contain(file));
    }

    [Test]
    public void Appended_byte_makes_the_signature_Invalid()
    {
        string file = WriteFile("ZF.txt", 64);
        SignatureFile.Write(file, Key);
        File.AppendAllText(file, "\n");
        Assert.That(SignatureFile.Verify(file, Key.PublicKey).Status, Is.EqualTo(SignatureStatus.Invalid));
    }

    [Test]
    public void Signature_made_with_another_key_is_Invalid()
    {
        string file = WriteFile("ZF.txt", 100);
        SignatureFile.Write(file, Sm2KeyGenerator.Generate());

        Assert.That(SignatureFile.Verify(file, Key.PublicKey).Status, Is.EqualTo(SignatureStatus.Invalid));
    }

    [Test]
    public void Missing_sig_is_SigMissing()
    {
        string file = WriteFile("ZF.txt", 100);

        var check = SignatureFile.Verify(file, Key.PublicKey);

        Assert.That(check.Status, Is.EqualTo(SignatureStatus.SigMissing));
        Assert.That(check.Message, Does.Contain(SignatureFile.SigPath(file)));
    }

    [Test]
    public void Missing_data_file_is_FileMissing()
    {
        Assert.That(SignatureFile.Verify(Path.Combine(_dir, "nope.txt"), Key.PublicKey).Status, Is.EqualTo(SignatureStatus.FileMissing));
    }

    [TestCase("not base64 at all!!")]
    [TestCase("")]
    [TestCase("   \n")]
    [TestCase("AAAA")] // valid base64, not DER
    [TestCase("MAYCAQECAQ==")] // SEQUENCE{1,1} minus its last byte: truncated DER
    [TestCase("MAYCAQECAQEA")] // SEQUENCE{1,1} followed by a trailing byte
    [TestCase("MAYCAQACAQE=")] // r = 0: not a positive INTEGER
    public void Garbage_sig_is_SigMalformed(string sigText)
    {
        string file = WriteFile("ZF.txt", 100);
        File.WriteAllText(SignatureFile.SigPath(file), sigText);

        var check = SignatureFile.Verify(file, Key.PublicKey);

        Assert.That(check.Status, Is.EqualTo(SignatureStatus.SigMalformed), check.Message);
    }

    [Test]
    public void Huge_sig_file_is_SigMalformed_without_reading_it_all()
    {
        string file = WriteFile("ZF.txt", 100);
        File.WriteAllText(SignatureFile.SigPath(file), new string('A', 1_000_000));
        Assert.That(SignatureFile.Verify(file, Key.PublicKey).Status, Is.EqualTo(SignatureStatus.SigMalformed));
    }

    [TestCase("\r\n")]
    [TestCase("")]
    [TestCase("  \n\n")]
    public void Reader_tolerates_whitespace_CRLF_and_missing_newline(string ending)
    {
        string file = WriteFile("ZF.txt", 100);
        byte[] der = Key.Sign(File.ReadAllBytes(file));
        string b64 = Convert.ToBase64String(der);
        // split across lines too, as `base64` with wrapping would
        File.WriteAllText(SignatureFile.SigPath(file), " " + b64[..20] + "\r\n" + b64[20..] + ending, Encoding.ASCII);

        Assert.That(SignatureFile.Verify(file, Key.PublicKey).Status, Is.EqualTo(SignatureStatus.Valid));
    }

    [Test]
    public void VerifyBytes_checks_in_memory_data_against_sig_text()
    {
        byte[] data = "QS_20250101_001.txt contents"u8.ToArray();
        string sigText = SignatureFile.Encode(Key.Sign(data));

        Assert.Multiple(() =>
        {
            Assert.That(SignatureFile.VerifyBytes(data, sigText, Key.PublicKey).Status, Is.EqualTo(SignatureStatus.Valid));
            Assert.That(SignatureFile.VerifyBytes(data.AsSpan(1), sigText, Key.PublicKey).Status, Is.EqualTo(SignatureStatus.Invalid));
            Assert.That(SignatureFile.VerifyBytes(data, "@@", Key.PublicKey).Status, Is.EqualTo(SignatureStatus.SigMalformed));
        });
    }

    [Test]
    public void Signature_check_and_SM3_of_a_large_file_stream_it_and_never_hold_it_whole()
    {
        // Issue 12: a 1M-line detail file (~130 MB) must not be read into memory to be checked.
        const int Size = 48 << 20;
        string file = Path.Combine(_dir, "QC_large.csv");
        using (var stream = new FileStream(file, FileMode.Create, FileAccess.Write))
        {
            var block = Sm3Tests.RandomBytes(1 << 20, seed: 12);
            for (int written = 0; written < Size; written += block.Length) stream.Write(block);
        }
        SignatureFile.Write(file, Key);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var check = SignatureFile.Verify(file, Key.PublicKey);
        Sm3.HashFileHex(file);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(check.Status, Is.EqualTo(SignatureStatus.Valid), check.Message);
        Assert.That(allocated, Is.LessThan(8 << 20), $"{allocated:N0} bytes allocated to check a {Size:N0}-byte file");
    }

    private string WriteFile(string name, int length)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, Sm3Tests.RandomBytes(length, seed: length + 3));
        return path;
    }
}
