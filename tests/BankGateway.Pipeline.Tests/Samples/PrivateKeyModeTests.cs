using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Sftp;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Samples;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Samples;

/// <summary>Private keys are written owner-only (0600) and a private key open to group or others is refused.</summary>
[TestFixture]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PrivateKeyModeTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private string _dir = null!;

    [SetUp]
    public void MakeFolder() => _dir = Directory.CreateTempSubdirectory("bg-keymode-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Sample_generator_and_keygen_write_private_keys_0600()
    {
        var key = Sm2KeyGenerator.Generate();
        var set = SampleSetGenerator.Generate(Path.Combine(_dir, "samples"), key, bankKey: key, otherKey: key);
        var pair = KeyFiles.WriteKeyPair(Path.Combine(_dir, "keygen"));

        Assert.Multiple(() =>
        {
            Assert.That(File.GetUnixFileMode(set.FinancePrivateKey), Is.EqualTo(OwnerOnly));
            Assert.That(File.GetUnixFileMode(set.BankPrivateKey), Is.EqualTo(OwnerOnly));
            Assert.That(File.GetUnixFileMode(set.OtherPrivateKey), Is.EqualTo(OwnerOnly));
            Assert.That(File.GetUnixFileMode(pair.PrivateKeyPath), Is.EqualTo(OwnerOnly));
            Assert.That(File.GetUnixFileMode(set.BankPublicKey) & UnixFileMode.OtherRead, Is.EqualTo(UnixFileMode.OtherRead), "public keys stay readable");
        });
    }

    [TestCase(UnixFileMode.GroupRead)]
    [TestCase(UnixFileMode.OtherRead)]
    [TestCase(UnixFileMode.OtherWrite)]
    public void A_bank_key_open_to_others_is_refused_with_the_fix_in_the_message(UnixFileMode extra)
    {
        string path = Path.Combine(_dir, "bank_private.pem");
        File.WriteAllText(path, Sm2KeyGenerator.Generate().ToPkcs8Pem());
        File.SetUnixFileMode(path, OwnerOnly | extra);

        var error = Assert.Throws<KeyFileException>(() => GatewayRuntime.LoadBankKey(new GatewaySettings(), path));

        Assert.That(error!.Message, Does.Contain(path).And.Contain("chmod 600"));
        File.SetUnixFileMode(path, OwnerOnly);
        Assert.That(GatewayRuntime.LoadBankKey(new GatewaySettings(), path), Is.Not.Null);
    }

    [Test]
    public async Task An_sftp_key_open_to_others_is_refused()
    {
        await using var bed = await SftpTestBed.StartAsync();
        string copy = Path.Combine(_dir, "client_key");
        File.Copy(bed.Server.ClientKeyPath, copy);
        File.SetUnixFileMode(copy, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        using (var channel = bed.Channel(privateKey: copy))
        {
            var health = await channel.CheckAsync(CancellationToken.None);
            Assert.That(health.Ready, Is.False);
            Assert.That(health.Detail, Does.Contain("chmod 600"));
        }

        File.SetUnixFileMode(copy, OwnerOnly);
        using (var channel = bed.Channel(privateKey: copy))
            Assert.That((await channel.CheckAsync(CancellationToken.None)).Ready, Is.True);
    }
}
