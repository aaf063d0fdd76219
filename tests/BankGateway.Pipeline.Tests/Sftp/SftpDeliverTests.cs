using BankGateway.Files.Signing;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Delivery;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>Contract §1: every outbound file is uploaded to a temporary name and renamed, then its .sig the same way (what is delivered when: DeliveryStageTests).</summary>
[TestFixture]
[NonParallelizable]
public sealed class SftpDeliverTests : SftpTestFixture
{

    [Test]
    public async Task Each_file_is_uploaded_under_a_temporary_name_and_its_sig_after_it()
    {
        using var channel = _bed.Channel();
        var hd = Answer(channel, "HD_522726_ZF2024000123.xml", "<Receipt/>");
        var rs = Answer(channel, "RS_522726_ZF2024000123.csv", "SeqNo,Result\r\n1,成功\r\n");

        // The bureau's side, watched as it happens (inotify on the server's folder).
        var events = new List<string>();
        using var watcher = new FileSystemWatcher(_bed.RemoteOutbox);
        watcher.Created += (_, e) => { lock (events) events.Add("created " + e.Name); };
        watcher.Renamed += (_, e) => { lock (events) events.Add($"renamed {e.OldName} -> {e.Name}"); };
        watcher.EnableRaisingEvents = true;

        var hdCopy = await channel.UploadAsync(hd, CancellationToken.None);
        var rsCopy = await channel.UploadAsync(rs, CancellationToken.None);

        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Is.EqualTo(new[]
        {
            "HD_522726_ZF2024000123.xml", "HD_522726_ZF2024000123.xml.sig", "RS_522726_ZF2024000123.csv", "RS_522726_ZF2024000123.csv.sig",
        }), "no temporary names left");
        Assert.That(File.ReadAllText(Path.Combine(_bed.RemoteOutbox, "RS_522726_ZF2024000123.csv")), Is.EqualTo("SeqNo,Result\r\n1,成功\r\n"));
        Assert.That(rsCopy, Is.EqualTo(new RemoteCopy(new FileInfo(rs.ContentPath).Length, rs.Sm3)), "size checked and the SM3 read back");
        Assert.That(hdCopy.Sm3, Is.EqualTo(hd.Sm3));

        // Each file appears under .name.tmp and is renamed when complete; a .sig only after its file is in place.
        var expected = new[] { "HD_522726_ZF2024000123.xml", "HD_522726_ZF2024000123.xml.sig", "RS_522726_ZF2024000123.csv", "RS_522726_ZF2024000123.csv.sig" }
            .SelectMany(n => new[] { $"created .{n}.tmp", $"renamed .{n}.tmp -> {n}" });
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Count(events) < 8 && DateTime.UtcNow < deadline) await Task.Delay(20);
        lock (events) Assert.That(events, Is.EqualTo(expected));
        Assert.That(channel.Counters.FilesDelivered, Is.EqualTo(2));
    }

    [Test]
    public async Task A_stale_temporary_file_and_an_earlier_copy_are_replaced()
    {
        using var channel = _bed.Channel();
        File.WriteAllText(Path.Combine(_bed.RemoteOutbox, ".HD_522726_ZF2024000123.xml.tmp"), "left by an upload cut off earlier, longer than the file");
        File.WriteAllText(Path.Combine(_bed.RemoteOutbox, "HD_522726_ZF2024000123.xml"), "an earlier copy the bureau edited");
        await channel.UploadAsync(Answer(channel, "HD_522726_ZF2024000123.xml", "<Receipt/>"), CancellationToken.None);
        Assert.That(File.ReadAllText(Path.Combine(_bed.RemoteOutbox, "HD_522726_ZF2024000123.xml")), Is.EqualTo("<Receipt/>"));
        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Has.Length.EqualTo(2));
    }

    [Test]
    public async Task Missing_remote_outbox_is_created()
    {
        Directory.Delete(_bed.RemoteOutbox);
        using var channel = _bed.Channel();
        await channel.UploadAsync(Answer(channel, "RJ_522726_ZF2024000999.xml", "<Rejection/>"), CancellationToken.None);
        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Is.EqualTo(new[] { "RJ_522726_ZF2024000999.xml", "RJ_522726_ZF2024000999.xml.sig" }));
    }

    private static int Count(List<string> events)
    {
        lock (events) return events.Count;
    }

    private static OutboundItem Answer(SftpChannel channel, string name, string content)
    {
        string path = Path.Combine(channel.LocalOutbox, name);
        File.WriteAllText(path, content);
        File.WriteAllText(path + ".sig", "MEUCIQ==\n");
        return new OutboundItem(name, path, path + ".sig", Sm3.HashFileHex(path));
    }
}
