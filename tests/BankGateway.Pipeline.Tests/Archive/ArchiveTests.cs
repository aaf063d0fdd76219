using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Archive;
using BankGateway.Worker.MasterData;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Archive;

/// <summary>
/// The archive on a real PostgreSQL with real files: 独山县's day (September 2024) and a re-issue in October go
/// through the pipeline; every set member and every answer is kept under its month, checked by SM3, purged only
/// past the retention (the clock is the test's), and <c>archive verify</c> names what was edited or deleted.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ArchiveTests
{
    private static readonly DateOnly September = new(2024, 9, 30);
    private static readonly DateOnly October = new(2024, 10, 8);

    private GatewayHarness _gateway = null!;
    private string _connectionString = null!;
    private string _samples = null!;

    private sealed record Row(long Id, string Kind, string FileName, string AdmDivCode, DateOnly Month, string Path, string Sm3, long SizeBytes,
        DateTime? PurgedAt, string? VerifyProblem);

    [OneTimeSetUp]
    public async Task RunSeptemberAndOctober()
    {
        var server = await TestDatabase.GetSharedAsync();
        _connectionString = await server.CreateDatabaseAsync(GetType());
        _gateway = await GatewayHarness.StartAsync(_connectionString, SampleFiles.Key("bank_private.pem"));
        _samples = SampleFiles.CopyTo(_gateway.Work);
        await _gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(_samples, "catalogue.csv"), CancellationToken.None);
        await _gateway.Get<AccountMaster>().ImportAsync(Path.Combine(_samples, "accounts.csv"), null, CancellationToken.None);
        await _gateway.RunOnceAsync(Path.Combine(_samples, "inbox"), SampleFiles.FinancePublic, September);
        await _gateway.RunOnceAsync(Path.Combine(_samples, "inbox-identical"), SampleFiles.FinancePublic, September);
        _gateway.Clock.Now = new DateTimeOffset(2024, 10, 8, 2, 0, 0, TimeSpan.Zero);
        await _gateway.Get<AccountMaster>().ImportAsync(Path.Combine(_samples, "accounts-fix.csv"), null, CancellationToken.None);
        await _gateway.RunOnceAsync(Path.Combine(_samples, "inbox-reissue"), SampleFiles.FinancePublic, October);
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _gateway.DisposeAsync();

    private Task<List<Row>> RowsAsync() => _gateway.QueryAsync<Row>(
        "select id, kind, file_name, adm_div_code, month, path, sm3, size_bytes, purged_at, verify_problem from archived_files order by id");

    private string Kept(Row row) => Path.Combine(_gateway.Archive, row.Path);

    [Test, Order(1)]
    public async Task Every_inbound_set_member_and_outbound_file_is_kept_once_under_its_month_with_its_SM3()
    {
        var rows = await RowsAsync();
        string processed = Path.Combine(_samples, "inbox", "processed");
        var septemberInbound = Directory.GetFiles(processed).Select(Path.GetFileName).ToList();
        Assert.That(septemberInbound.Count(n => n!.StartsWith("PV_", StringComparison.Ordinal) && n.EndsWith(".xml.sig", StringComparison.Ordinal)), Is.EqualTo(10),
            "the day's ten sets were taken");
        foreach (var name in septemberInbound)
        {
            var row = rows.Single(r => r.Kind == "inbound" && r.FileName == name);
            Assert.That(row.Path, Is.EqualTo($"inbound/2024-09/522726/{name}"));
            Assert.That(row.Sm3, Is.EqualTo(Sm3.HashFileHex(Path.Combine(processed, name!))), name);
        }
        Assert.That(rows.Where(r => r.Kind == "inbound" && r.FileName!.Contains("ZF2024000301")).Select(r => r.Path), Is.EquivalentTo(new[]
        {
            "inbound/2024-10/522726/PV_522726_ZF2024000301.xml", "inbound/2024-10/522726/PV_522726_ZF2024000301.xml.sig",
            "inbound/2024-10/522726/QC_522726_ZF2024000301.csv",
        }));
        // The identical re-delivery brought the same bytes under the same names: nothing kept twice.
        Assert.That(rows.GroupBy(r => (r.Kind, r.FileName, r.Sm3)).Where(g => g.Count() > 1), Is.Empty);

        var outbound = Directory.GetFiles(_gateway.Outbox).Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal)).ToList();
        Assert.That(outbound.Select(Path.GetFileName), Does.Contain("HD_522726_ZF2024000123.xml").And.Contain("RJ_522726_ZF2024000201.xml.sig")
            .And.Contain("HD_522726_ZF2024000301.xml"));
        foreach (var file in outbound)
        {
            string name = Path.GetFileName(file);
            var row = rows.Single(r => r.Kind == "outbound" && r.FileName == name);
            string month = name.Contains("ZF2024000301", StringComparison.Ordinal) ? "2024-10" : "2024-09";
            Assert.That(row.Path, Is.EqualTo($"outbound/{month}/522726/{name}"));
            Assert.That(File.ReadAllBytes(Kept(row)), Is.EqualTo(File.ReadAllBytes(file)), name);
            Assert.That(row.Sm3, Is.EqualTo(Sm3.HashFileHex(file)));
        }
        Assert.That(rows, Has.All.Matches<Row>(r => r.AdmDivCode == "522726" && r.SizeBytes == new FileInfo(Kept(r)).Length && r.PurgedAt == null));

        var verified = await _gateway.Get<ArchiveStore>().VerifyAsync(null, CancellationToken.None);
        Assert.That(verified.Checked, Is.EqualTo(rows.Count));
        Assert.That(verified.Problems, Is.Empty);
    }

    [Test, Order(2)]
    public async Task Verify_names_an_edited_and_a_deleted_file_and_the_command_exits_1()
    {
        var rows = await RowsAsync();
        var edited = rows.First(r => r.FileName == "HD_522726_ZF2024000123.xml");
        var deleted = rows.First(r => r.FileName == "QC_522726_ZF2024000124.csv");
        string editedBytes = File.ReadAllText(Kept(edited));
        await File.WriteAllTextAsync(Kept(edited), editedBytes.Replace("</", " </", StringComparison.Ordinal));
        byte[] deletedBytes = await File.ReadAllBytesAsync(Kept(deleted));
        File.Delete(Kept(deleted));
        try
        {
            var archive = _gateway.Get<ArchiveStore>();
            var verified = await archive.VerifyAsync(null, CancellationToken.None);
            Assert.That(verified.Problems.Select(p => (p.Path, p.What.Split(':')[0])), Is.EquivalentTo(new[]
            {
                (edited.Path, "changed"), (deleted.Path, "missing"),
            }));
            Assert.That(await archive.FailingAsync(CancellationToken.None), Is.EqualTo(2), "what bankgateway_archive_verify_failures reports");

            var run = await new WorkerProcess(Path.Combine(_gateway.Work, "home"), _connectionString,
                new Dictionary<string, string?> { ["Gateway__Archive__Folder"] = _gateway.Archive }).RunAsync("archive", "verify");
            Assert.That(run.ExitCode, Is.EqualTo(1), run.Stderr);
            Assert.That(run.Stdout, Does.Contain($"{edited.Path}: changed: SM3 ").And.Contain($"{deleted.Path}: missing")
                .And.Contain($"archive verify: {rows.Count} file(s) checked in {_gateway.Archive}, 2 missing or changed"));
            Assert.That(run.Stderr, Does.Contain("error: 2 archived file(s) missing or changed").And.Contain("archive verify: "), "progress on stderr");
        }
        finally
        {
            await File.WriteAllTextAsync(Kept(edited), editedBytes);
            await File.WriteAllBytesAsync(Kept(deleted), deletedBytes);
        }
        var again = await new WorkerProcess(Path.Combine(_gateway.Work, "home"), _connectionString,
            new Dictionary<string, string?> { ["Gateway__Archive__Folder"] = _gateway.Archive }).RunAsync("archive", "verify");
        Assert.That(again.ExitCode, Is.Zero, again.Stderr);
        Assert.That(await _gateway.Get<ArchiveStore>().FailingAsync(CancellationToken.None), Is.Zero);
    }

    [Test, Order(3)]
    public async Task Purge_past_the_retention_deletes_the_month_s_copies_and_keeps_every_database_row()
    {
        var archive = _gateway.Get<ArchiveStore>();
        var before = await RowsAsync();
        Assert.That(archive.Settings.RetentionYears, Is.EqualTo(15));

        // The last day of September 2039 (China time): September 2024 has not yet been kept fifteen years.
        _gateway.Clock.Now = new DateTimeOffset(2039, 9, 30, 15, 59, 0, TimeSpan.Zero);
        Assert.That((await archive.PurgeAsync(CancellationToken.None)).Purged, Is.Zero);

        // 1 October 2039, 00:00 China time: September 2024's copies go, October's stay.
        _gateway.Clock.Now = new DateTimeOffset(2039, 9, 30, 16, 0, 0, TimeSpan.Zero);
        var purge = await archive.PurgeAsync(CancellationToken.None);
        var september = before.Where(r => r.Month == new DateOnly(2024, 9, 1)).ToList();
        var october = before.Where(r => r.Month == new DateOnly(2024, 10, 1)).ToList();
        Assert.That(september, Is.Not.Empty);
        Assert.That(october, Is.Not.Empty);
        Assert.That(purge.Purged, Is.EqualTo(september.Count));
        Assert.That(purge.Bytes, Is.EqualTo(september.Sum(r => r.SizeBytes)));

        var after = await RowsAsync();
        Assert.That(after.Select(r => (r.Id, r.Path, r.Sm3)), Is.EqualTo(before.Select(r => (r.Id, r.Path, r.Sm3))), "every row stays, unchanged");
        Assert.That(after.Where(r => r.Month == new DateOnly(2024, 9, 1)), Has.All.Matches<Row>(r => r.PurgedAt != null && !File.Exists(Kept(r))));
        Assert.That(after.Where(r => r.Month == new DateOnly(2024, 10, 1)), Has.All.Matches<Row>(r => r.PurgedAt == null && File.Exists(Kept(r))));
        Assert.That(Directory.Exists(Path.Combine(_gateway.Archive, "inbound", "2024-09")), Is.False, "the emptied month folder goes too");
        Assert.That((await archive.VerifyAsync(null, CancellationToken.None)).Checked, Is.EqualTo(october.Count), "purged copies are no longer checked");
        Assert.That((await archive.PurgeAsync(CancellationToken.None)).Purged, Is.Zero, "a second purge changes nothing");

        await using var connection = await _gateway.Db.OpenConnectionAsync();
        await using var delete = new NpgsqlCommand("delete from archived_files", connection);
        var refused = Assert.ThrowsAsync<PostgresException>(() => delete.ExecuteNonQueryAsync());
        Assert.That(refused!.MessageText, Does.Contain("kept for good"));
    }

    [Test]
    public async Task The_purge_command_reports_nothing_due_within_the_retention()
    {
        var run = await new WorkerProcess(Path.Combine(_gateway.Work, "home"), _connectionString,
            new Dictionary<string, string?> { ["Gateway__Archive__Folder"] = _gateway.Archive, ["Gateway__Archive__RetentionYears"] = "40" })
            .RunAsync("archive", "purge");
        Assert.That(run.ExitCode, Is.Zero, run.Stderr);
        Assert.That(run.Stdout, Does.Contain("archive purge: 0 file(s), 0 bytes kept in months before ").And.Contain("(40 years' retention); their records stay"));
    }

    [Test]
    public async Task A_retention_out_of_range_stops_the_command_naming_the_key()
    {
        var run = await new WorkerProcess(Path.Combine(_gateway.Work, "home"), _connectionString,
            new Dictionary<string, string?> { ["Gateway__Archive__RetentionYears"] = "0" }).RunAsync("archive", "purge");
        Assert.That(run.ExitCode, Is.EqualTo(1), run.Stdout);
        Assert.That(run.Stderr, Does.Contain("Gateway:Archive:RetentionYears"));
    }
}
