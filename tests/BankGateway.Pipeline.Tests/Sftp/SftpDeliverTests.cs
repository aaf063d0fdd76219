using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>Contract §1: every outbound file is written to a temporary name and renamed, then its .sig the same way.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SftpDeliverTests : SftpTestFixture
{

    [Test]
    public async Task Outbox_files_are_uploaded_under_temporary_names_and_each_sig_after_its_file()
    {
        using var channel = _bed.Channel();
        WriteAnswer(channel.LocalOutbox, "HD_522726_ZF2024000123.xml", "<Receipt/>");
        WriteAnswer(channel.LocalOutbox, "RS_522726_ZF2024000123.csv", "SeqNo,Result\r\n1,成功\r\n");
        File.WriteAllText(Path.Combine(channel.LocalOutbox, ".QS_522726_20240930.xml.tmp"), "being written");

        // The bureau's side, watched as it happens (inotify on the server's folder).
        var events = new List<string>();
        using var watcher = new FileSystemWatcher(_bed.RemoteOutbox);
        watcher.Created += (_, e) => { lock (events) events.Add("created " + e.Name); };
        watcher.Renamed += (_, e) => { lock (events) events.Add($"renamed {e.OldName} -> {e.Name}"); };
        watcher.EnableRaisingEvents = true;

        await channel.DeliverAsync(CancellationToken.None);

        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Is.EqualTo(new[]
        {
            "HD_522726_ZF2024000123.xml", "HD_522726_ZF2024000123.xml.sig", "RS_522726_ZF2024000123.csv", "RS_522726_ZF2024000123.csv.sig",
        }), "no temporary names left, the local file being written is not sent");
        Assert.That(File.ReadAllText(Path.Combine(_bed.RemoteOutbox, "RS_522726_ZF2024000123.csv")), Is.EqualTo("SeqNo,Result\r\n1,成功\r\n"));

        // Each file appears under .name.tmp and is renamed when complete; a .sig only after its file is in place.
        var expected = new[] { "HD_522726_ZF2024000123.xml", "HD_522726_ZF2024000123.xml.sig", "RS_522726_ZF2024000123.csv", "RS_522726_ZF2024000123.csv.sig" }
            .SelectMany(n => new[] { $"created .{n}.tmp", $"renamed .{n}.tmp -> {n}" });
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Count(events) < 8 && DateTime.UtcNow < deadline) await Task.Delay(20);
        lock (events) Assert.That(events, Is.EqualTo(expected));
        Assert.That(channel.Counters.FilesDelivered, Is.EqualTo(4));
    }

    [Test]
    public async Task Delivering_again_sends_nothing_unless_a_file_was_made_anew()
    {
        using var channel = _bed.Channel();
        WriteAnswer(channel.LocalOutbox, "HD_522726_ZF2024000123.xml", "<Receipt/>");
        File.WriteAllText(Path.Combine(_bed.RemoteOutbox, ".HD_522726_ZF2024000123.xml.tmp"), "left by an upload cut off earlier, longer than the file");
        await channel.DeliverAsync(CancellationToken.None);
        Assert.That(File.ReadAllText(Path.Combine(_bed.RemoteOutbox, "HD_522726_ZF2024000123.xml")), Is.EqualTo("<Receipt/>"), "a stale temporary file is overwritten");
        await channel.DeliverAsync(CancellationToken.None);
        using (var restarted = _bed.Channel())
        {
            await restarted.DeliverAsync(CancellationToken.None);
            Assert.That(restarted.Counters.FilesDelivered, Is.Zero, "delivered.txt survives a restart");
        }
        Assert.That(channel.Counters.FilesDelivered, Is.EqualTo(2));

        // After a crash only the .sig may be made anew: it is sent again, over the old one.
        string sig = Path.Combine(channel.LocalOutbox, "HD_522726_ZF2024000123.xml.sig");
        File.WriteAllText(sig, "a new signature\n");
        File.SetLastWriteTimeUtc(sig, DateTime.UtcNow.AddSeconds(5));
        await channel.DeliverAsync(CancellationToken.None);
        Assert.That(channel.Counters.FilesDelivered, Is.EqualTo(3));
        Assert.That(File.ReadAllText(Path.Combine(_bed.RemoteOutbox, "HD_522726_ZF2024000123.xml.sig")), Is.EqualTo("a new signature\n"));
        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Has.Length.EqualTo(2));
    }

    [Test]
    public async Task A_resend_requested_by_an_operator_uploads_the_files_again()
    {
        const string name = "HD_522726_ZF2024000123.xml";
        using (var channel = _bed.Channel())
        {
            WriteAnswer(channel.LocalOutbox, name, "<Receipt/>");
            await channel.DeliverAsync(CancellationToken.None);
        }
        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Is.EqualTo(new[] { name, name + ".sig" }));

        // The bureau lost the files and asks for them again; the operator re-sends from the dashboard, which
        // leaves the identical bytes in place (D35) and marks them for re-sending.
        File.Delete(Path.Combine(_bed.RemoteOutbox, name));
        File.Delete(Path.Combine(_bed.RemoteOutbox, name + ".sig"));
        using var service = _bed.Channel();
        var outbox = service.LocalOutbox;
        string before = File.ReadAllText(Path.Combine(outbox, name));
        BankGateway.Worker.Dashboard.VoucherActions.MarkForResend(outbox, [name]);
        await service.DeliverAsync(CancellationToken.None);

        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Is.EqualTo(new[] { name, name + ".sig" }), "re-sent, not 'already delivered'");
        Assert.That(File.ReadAllText(Path.Combine(_bed.RemoteOutbox, name)), Is.EqualTo(before));
        Assert.That(service.Counters.FilesDelivered, Is.EqualTo(2));

        // Delivered once more, it is not sent again by itself.
        await service.DeliverAsync(CancellationToken.None);
        Assert.That(service.Counters.FilesDelivered, Is.EqualTo(2));
    }

    [Test]
    public async Task Only_outbound_file_names_and_their_sig_are_delivered_never_a_mismatch_copy()
    {
        using var channel = _bed.Channel();
        WriteAnswer(channel.LocalOutbox, "HD_522726_ZF2024000123.xml", "<Receipt/>");
        WriteAnswer(channel.LocalOutbox, "QS_522726_20240930.xml", "<Clearing/>");
        // OutboundFiles sets a differing file aside under <name>.mismatch; other leftovers an operator may leave.
        File.WriteAllText(Path.Combine(channel.LocalOutbox, "RS_522726_ZF2024000123.csv.mismatch"), "differing content");
        File.WriteAllText(Path.Combine(channel.LocalOutbox, "RS_522726_ZF2024000123.csv.mismatch.sig"), "MEUCIQ==\n");
        File.WriteAllText(Path.Combine(channel.LocalOutbox, "HD_522726_ZF2024000123.xml.bak"), "old");
        File.WriteAllText(Path.Combine(channel.LocalOutbox, "notes.txt"), "operator notes");
        File.WriteAllText(Path.Combine(channel.LocalOutbox, "PV_522726_ZF2024000123.xml"), "not ours to send");

        await channel.DeliverAsync(CancellationToken.None);

        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Is.EqualTo(new[]
        {
            "HD_522726_ZF2024000123.xml", "HD_522726_ZF2024000123.xml.sig", "QS_522726_20240930.xml", "QS_522726_20240930.xml.sig",
        }));
    }

    [Test]
    public async Task Missing_remote_outbox_is_created()
    {
        Directory.Delete(_bed.RemoteOutbox);
        using var channel = _bed.Channel();
        WriteAnswer(channel.LocalOutbox, "RJ_522726_ZF2024000999.xml", "<Rejection/>");
        await channel.DeliverAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(_bed.RemoteOutbox), Is.EqualTo(new[] { "RJ_522726_ZF2024000999.xml", "RJ_522726_ZF2024000999.xml.sig" }));
    }

    private static int Count(List<string> events)
    {
        lock (events) return events.Count;
    }

    private static void WriteAnswer(string outbox, string name, string content)
    {
        File.WriteAllText(Path.Combine(outbox, name), content);
        File.WriteAllText(Path.Combine(outbox, name + ".sig"), "MEUCIQ==\n");
    }
}
