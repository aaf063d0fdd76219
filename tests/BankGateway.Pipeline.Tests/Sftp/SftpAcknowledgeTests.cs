using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Worker.Intake;
using BankGateway.Worker.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>Contract §1: taken sets move into the remote inbox's processed/, or are remembered by digest where the server refuses.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SftpAcknowledgeTests : SftpTestFixture
{

    [Test]
    public async Task Taken_set_is_moved_into_the_remote_processed_folder()
    {
        var set = _bed.SampleSet();
        await _bed.UploadAsync(set);
        using var channel = _bed.Channel();
        await FetchTwiceAndTakeAsync(channel);

        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty, "a set in local processed/ awaiting acknowledgement is not fetched again");

        await channel.AcknowledgeTakenAsync(CancellationToken.None);
        string remoteProcessed = Path.Combine(_bed.RemoteInbox, SftpChannel.ProcessedFolder);
        Assert.That(SftpTestBed.Names(_bed.RemoteInbox), Is.Empty);
        Assert.That(SftpTestBed.Names(remoteProcessed), Is.EqualTo(set.Select(Path.GetFileName).Order(StringComparer.Ordinal)));
        Assert.That(channel.Counters.FilesAcknowledged, Is.EqualTo(3));

        await channel.AcknowledgeTakenAsync(CancellationToken.None);
        await channel.FetchAsync(CancellationToken.None);
        await channel.FetchAsync(CancellationToken.None);
        Assert.That(channel.Counters.FilesAcknowledged, Is.EqualTo(3), "acknowledging again changes nothing");
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty);
    }

    [Test]
    public async Task Files_the_server_will_not_move_are_remembered_by_digest_and_never_taken_twice()
    {
        var set = _bed.SampleSet();
        await _bed.UploadAsync(set);
        // A plain file where processed/ should be: the server cannot make the folder or rename into it.
        File.WriteAllText(Path.Combine(_bed.RemoteInbox, SftpChannel.ProcessedFolder), "not a folder");
        using var channel = _bed.Channel();
        await FetchTwiceAndTakeAsync(channel);

        await channel.AcknowledgeTakenAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(_bed.RemoteInbox), Has.Length.EqualTo(4), "the set stays on the server");
        Assert.That(channel.Counters.FilesRemembered, Is.EqualTo(3));
        var ledger = (await Sql.ScalarAsync<string>(_bed.Db.ConnectionString, "select string_agg(sm3 || chr(9) || size_bytes || chr(9) || mtime_unix || chr(9) || name, chr(10)) from taken_files")).Split('\n');
        Assert.That(ledger, Has.Length.EqualTo(3));
        Assert.That(ledger.Select(l => l.Split('\t')[0]), Has.All.Match("^[0-9a-f]{64}$"));

        for (int poll = 0; poll < 2; poll++) await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty, "listed with the same name, size and time: skipped");

        // The bureau's tool touches the files (same bytes, new time): downloaded, recognised by digest, dropped.
        foreach (var file in set) File.SetLastWriteTimeUtc(Path.Combine(_bed.RemoteInbox, Path.GetFileName(file)), DateTime.UtcNow.AddMinutes(5));
        using var restarted = _bed.Channel(); // the ledger survives a restart
        for (int poll = 0; poll < 2; poll++) await restarted.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(restarted.LocalInbox), Is.Empty, "same content as a remembered file: never taken twice");
        Assert.That(Directory.GetFiles(restarted.LocalInbox, ".*"), Is.Empty);
    }

    // What the pipeline does with a staged set: take it, then move it to the local processed/.
    private static async Task FetchTwiceAndTakeAsync(SftpChannel channel)
    {
        await channel.FetchAsync(CancellationToken.None);
        await channel.FetchAsync(CancellationToken.None);
        var inbox = new LocalInbox(channel.LocalInbox, NullLogger.Instance, TimeSpan.FromHours(1), TimeProvider.System);
        var sets = inbox.FindCompleteSets();
        Assert.That(sets, Has.Count.EqualTo(1));
        inbox.MoveToProcessed(sets[0]);
    }
}
