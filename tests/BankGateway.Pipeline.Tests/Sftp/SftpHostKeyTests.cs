using BankGateway.Worker.Channels;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Channels.Sftp;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>Contract §1/§11: the pinned host key, as <c>ssh-keygen -lf</c> prints it; any other key is refused.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SftpHostKeyTests : SftpTestFixture
{

    [Test]
    public async Task Fingerprint_printed_by_ssh_keygen_is_accepted()
    {
        Assert.That(_bed.Server.HostKeyFingerprint, Does.Match("^SHA256:[A-Za-z0-9+/]{43}$"));
        using var channel = _bed.Channel();
        var health = await channel.CheckAsync(CancellationToken.None);
        Assert.That(health.Ready, Is.True, health.Detail);
        Assert.That(channel.Counters.HostKeyRejections, Is.Zero);
    }

    [Test]
    public async Task Changed_host_key_is_refused_and_nothing_is_read_or_written()
    {
        await _bed.UploadAsync(_bed.SampleSet());
        using var channel = _bed.Channel();
        await channel.FetchAsync(CancellationToken.None); // first sighting with the right key
        string pinned = _bed.Server.HostKeyFingerprint;

        await _bed.Server.ReplaceHostKeyAsync();
        string presented = _bed.Server.HostKeyFingerprint;
        Assert.That(presented, Is.Not.EqualTo(pinned));
        int loginsBefore = CountLogins(_bed.Server.ReadLog());
        File.WriteAllText(Path.Combine(channel.LocalOutbox, "HD_522726_ZF2024000123.xml"), "<answer/>");

        Assert.That(async () => await channel.FetchAsync(CancellationToken.None), Throws.Exception.Message.Contains("host key refused"));
        string answer = Path.Combine(channel.LocalOutbox, "HD_522726_ZF2024000123.xml");
        File.WriteAllText(answer + ".sig", "MEUCIQ==\n");
        Assert.That(async () => await channel.UploadAsync(new OutboundItem("HD_522726_ZF2024000123.xml", answer, answer + ".sig", ""), CancellationToken.None),
            Throws.Exception.Message.Contains("host key refused"));
        var health = await channel.CheckAsync(CancellationToken.None);

        Assert.That(health.Ready, Is.False);
        Assert.That(health.Detail, Does.Contain("host key refused").And.Contain(presented));
        Assert.That(channel.Counters.HostKeyRejections, Is.EqualTo(3), "fetch, deliver and the health check each refused");
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty, "nothing read");
        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Is.Empty, "nothing written");
        Assert.That(SftpTestBed.Names(_bed.RemoteInbox), Has.Length.EqualTo(3));
        Assert.That(CountLogins(_bed.Server.ReadLog()), Is.EqualTo(loginsBefore), "the client never authenticated to the changed server");
        Assert.That(_bed.Log.Lines.Any(l => l.Level == LogLevel.Error && l.Message.Contains("SFTP channel 522726") && l.Message.Contains(presented)), Is.True,
            "an ERROR alarm names the channel and the presented fingerprint");
    }

    [Test]
    public void Fingerprint_is_compared_without_padding_and_a_malformed_pin_stops_the_start()
    {
        Assert.That(HostKeyPin.TryParse(_bed.Server.HostKeyFingerprint + "=", out var padded), Is.True);
        Assert.That(padded.Matches(_bed.Server.HostKeyFingerprint["SHA256:".Length..]), Is.True, "SSH.NET reports the base64 without prefix");
        Assert.That(padded.Matches("AAAA" + _bed.Server.HostKeyFingerprint[("SHA256:".Length + 4)..]), Is.False);
        Assert.That(() => _bed.Channel(hostKey: "MD5:12:34"), Throws.TypeOf<SettingsException>().With.Message.Contains("HostKeySha256"));
    }

    [Test]
    public async Task Ecdsa_pem_and_encrypted_rsa_keys_log_in()
    {
        string ecdsa = await _bed.Server.AuthorizeNewClientKeyAsync("ecdsa", pem: true);
        string rsa = await _bed.Server.AuthorizeNewClientKeyAsync("rsa", pem: false, passphrase: "s3cret passphrase");
        using (var channel = _bed.Channel(privateKey: ecdsa))
        {
            var health = await channel.CheckAsync(CancellationToken.None);
            Assert.That(health.Ready, Is.True, "ECDSA key in PEM format: " + health.Detail);
        }
        Environment.SetEnvironmentVariable(Worker.Channels.SftpChannel.PassphraseVariable, null);
        using (var channel = _bed.Channel(privateKey: rsa))
        {
            var health = await channel.CheckAsync(CancellationToken.None);
            Assert.That(health.Detail, Does.Contain(Worker.Channels.SftpChannel.PassphraseVariable), "an encrypted key without its passphrase says which variable to set");
        }
        Environment.SetEnvironmentVariable(Worker.Channels.SftpChannel.PassphraseVariable, "s3cret passphrase");
        try
        {
            using var channel = _bed.Channel(privateKey: rsa);
            var health = await channel.CheckAsync(CancellationToken.None);
            Assert.That(health.Ready, Is.True, "encrypted RSA key in OpenSSH format: " + health.Detail);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Worker.Channels.SftpChannel.PassphraseVariable, null);
        }
    }

    private static int CountLogins(string log) => log.Split('\n').Count(l => l.Contains("Accepted publickey", StringComparison.Ordinal));
}
