using BankGateway.Files.Signing;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>Contract §1 on a real sshd: complete, stable sets are staged into the local inbox; nothing partial ever is.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SftpFetchTests : SftpTestFixture
{

    [Test]
    public async Task Set_uploaded_with_stock_sftp_is_fetched_once_unchanged_over_a_poll()
    {
        var set = _bed.SampleSet();
        await _bed.UploadAsync(set);
        using var channel = _bed.Channel();

        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty, "the first sighting is never taken");

        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.EqualTo(set.Select(Path.GetFileName).Order(StringComparer.Ordinal)));
        foreach (var file in set)
        {
            string local = Path.Combine(channel.LocalInbox, Path.GetFileName(file));
            Assert.That(Sm3.HashFileHex(local), Is.EqualTo(Sm3.HashFileHex(file)), Path.GetFileName(file));
            Assert.That(File.GetLastWriteTimeUtc(local), Is.EqualTo(TruncateToSeconds(File.GetLastWriteTimeUtc(Path.Combine(_bed.RemoteInbox, Path.GetFileName(file))))),
                "arrival time kept, so sets are taken in order of arrival");
        }
        Assert.That(Directory.GetFiles(channel.LocalInbox, ".*"), Is.Empty, "no temporary files left behind");

        await channel.FetchAsync(CancellationToken.None);
        Assert.That(channel.Counters.SetsFetched, Is.EqualTo(1), "a set already staged is not downloaded again");
        Assert.That(SftpTestBed.Names(_bed.RemoteInbox), Has.Length.EqualTo(3), "fetching reads only; the server's files stay until acknowledged");
    }

    [Test]
    public async Task Detail_still_growing_between_polls_is_not_taken()
    {
        var (pv, sig, qc) = (_bed.SampleSet()[0], _bed.SampleSet()[1], _bed.SampleSet()[2]);
        byte[] full = File.ReadAllBytes(qc);
        string growing = Path.Combine(_bed.Root, "growing", Path.GetFileName(qc));
        Directory.CreateDirectory(Path.GetDirectoryName(growing)!);
        using var channel = _bed.Channel();

        File.WriteAllBytes(growing, full[..(full.Length / 3)]);
        await _bed.UploadAsync(pv, sig, growing);
        await channel.FetchAsync(CancellationToken.None);
        File.WriteAllBytes(growing, full[..(2 * full.Length / 3)]);
        await _bed.UploadAsync(growing);
        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty, "the detail changed size since the previous poll");

        File.WriteAllBytes(growing, full);
        await _bed.UploadAsync(growing);
        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty, "changed again: one more poll to wait");

        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Has.Length.EqualTo(3));
        Assert.That(File.ReadAllBytes(Path.Combine(channel.LocalInbox, Path.GetFileName(qc))), Is.EqualTo(full));
    }

    [Test]
    public async Task Part_and_tmp_names_and_symbolic_links_are_never_taken()
    {
        var set = _bed.SampleSet("ZF2024000124");
        string staging = Path.Combine(_bed.Root, "staging");
        Directory.CreateDirectory(staging);
        string qcPart = Path.Combine(staging, Path.GetFileName(set[2]) + ".part");
        File.Copy(set[2], qcPart);
        string pvTmp = Path.Combine(staging, Path.GetFileName(_bed.SampleSet()[0]) + ".tmp");
        File.Copy(_bed.SampleSet()[0], pvTmp);
        await _bed.UploadAsync(set[0], set[1], qcPart, pvTmp, _bed.SampleSet()[1], _bed.SampleSet()[2]);
        // A link under a valid voucher name (to the real 123 voucher elsewhere on the server).
        await _bed.Server.SftpBatchAsync([$"symlink {set[0]} {_bed.RemoteInbox}/PV_522726_ZF2024000123.xml"]);
        using var channel = _bed.Channel();

        for (int poll = 0; poll < 3; poll++) await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty, ".part detail, .tmp voucher and a symbolic link: no complete set");
        Assert.That(_bed.Log.Lines.Any(l => l.Message.Contains("not a regular file") && l.Message.Contains("PV_522726_ZF2024000123.xml")), Is.True);

        // The uploader renames its .part when done: the set becomes complete, is seen once, then taken.
        await _bed.Server.SftpBatchAsync([$"rename {_bed.RemoteInbox}/{Path.GetFileName(qcPart)} {_bed.RemoteInbox}/{Path.GetFileName(set[2])}"]);
        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.Empty);
        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Is.EqualTo(set.Select(Path.GetFileName).Order(StringComparer.Ordinal)));
    }

    private static DateTime TruncateToSeconds(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
