using NUnit.Framework;
using BankGateway.Files.Signing;

namespace BankGateway.Files.Tests.Signing;

public class KeyFilesTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "bg-keygen-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void Keygen_writes_a_matching_private_and_public_pem_into_a_new_folder()
    {
        var files = KeyFiles.WriteKeyPair(_dir);

        Assert.That(files.PrivateKeyPath, Is.EqualTo(Path.Combine(_dir, "private.pem")));
        Assert.That(files.PublicKeyPath, Is.EqualTo(Path.Combine(_dir, "public.pem")));
        var key = Sm2PrivateKey.Load(files.PrivateKeyPath);
        var pub = Sm2PublicKey.Load(files.PublicKeyPath);
        Assert.That(pub.Verify("abc"u8, key.Sign("abc"u8)), Is.True);
        Assert.That(File.ReadAllText(files.PrivateKeyPath), Does.StartWith("-----BEGIN PRIVATE KEY-----"));
    }

    [Test]
    public void Keygen_private_key_is_readable_by_the_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix file modes");
            return;
        }
        var files = KeyFiles.WriteKeyPair(_dir);
        Assert.That(File.GetUnixFileMode(files.PrivateKeyPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [TestCase("private.pem")]
    [TestCase("public.pem")]
    public void Keygen_never_overwrites_a_key_and_writes_nothing(string existing)
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, existing), "precious");

        var ex = Assert.Throws<KeyFileException>(() => KeyFiles.WriteKeyPair(_dir));

        Assert.That(ex!.Message, Does.Contain("already exists; keygen never overwrites a key").And.Contain(existing));
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { existing }));
        Assert.That(File.ReadAllText(Path.Combine(_dir, existing)), Is.EqualTo("precious"));
    }

    [Test]
    public void Keygen_twice_fails_the_second_time_and_keeps_the_first_key()
    {
        KeyFiles.WriteKeyPair(_dir);
        string first = File.ReadAllText(Path.Combine(_dir, "private.pem"));

        Assert.Throws<KeyFileException>(() => KeyFiles.WriteKeyPair(_dir));
        Assert.That(File.ReadAllText(Path.Combine(_dir, "private.pem")), Is.EqualTo(first));
    }
}
