using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>Every SFTP test gets its own sshd, folders and keys, started before and removed after it.</summary>
public abstract class SftpTestFixture
{
    private protected SftpTestBed _bed = null!;

    [SetUp]
    public async Task StartSshd() => _bed = await SftpTestBed.StartAsync();

    [TearDown]
    public async Task StopSshd() => await _bed.DisposeAsync();
}
