using System.Diagnostics;
using System.Globalization;
using System.Text;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Returns;
using BankGateway.Worker.Supervision;
using Dapper;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Supervision;

/// <summary>
/// Contract §15 <c>supervision export</c> on the committed sample day (vouchers, failures, return after National Day,
/// re-issue, clearing), run as the real executable and checked the way a supervisor would: stock OpenSSL verifies
/// the manifest's signature and every file's SM3; lines.csv carries voucher → line → journal → return → re-issue.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SupervisionExportTests
{
    private GatewayHarness _gateway = null!;
    private WorkerProcess _worker = null!;
    private string _package = null!;
    private WorkerProcess.Result _export = null!;
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);

    [OneTimeSetUp]
    public async Task RunTheDayAndExport()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync(GetType());
        _gateway = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"));
        _worker = new WorkerProcess(Path.Combine(_gateway.Work, "home"), connectionString);
        string samples = SampleFiles.CopyTo(_gateway.Work);
        await _gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
        await _gateway.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
        await _gateway.RunOnceAsync(Path.Combine(samples, "inbox"), SampleFiles.FinancePublic, BusinessDate);
        await _gateway.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts-fix.csv"), null, CancellationToken.None);
        await _gateway.RunOnceAsync(Path.Combine(samples, "inbox-reissue"), SampleFiles.FinancePublic, BusinessDate);
        await _gateway.Get<ReturnService>().RunAsync(new DateOnly(2024, 10, 8), _gateway.Outbox, "test", CancellationToken.None);
        await _gateway.Get<ClearingService>().RunAsync(BusinessDate, _gateway.Outbox, CancellationToken.None);

        string exports = Path.Combine(_gateway.Work, "exports");
        _export = await _worker.RunAsync(Export("2024-09-01", "2024-09-30", exports));
        _package = Path.Combine(exports, "JG_20240901_20240930");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _gateway.DisposeAsync();

    private static string[] Export(string from, string to, string outDir) =>
        ["supervision", "export", "--from", from, "--to", to, "--out", outDir, "--bank-key", SampleFiles.Key("bank_private.pem")];

    private string File(string name) => Path.Combine(_package, name);

    [Test]
    public void Package_has_the_contract_files_and_a_manifest_signed_by_the_bank_that_openssl_verifies()
    {
        Assert.That(_export.ExitCode, Is.Zero, _export.Stdout + _export.Stderr);
        Assert.That(Directory.GetFiles(_package).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Is.EqualTo(new[] { "audit.csv", "clearing.csv", "lines.csv", "manifest.csv", "manifest.csv.sig", "returns.csv", "vouchers.csv" }));
        Assert.That(Directory.GetDirectories(Path.GetDirectoryName(_package)!), Has.Length.EqualTo(1), "no partial folder left behind");
        var (ok, output) = OpensslCheck.Verify(File("manifest.csv"), SampleFiles.Key("bank_public.pem"));
        Assert.That(ok, Is.True, output);
    }

    [Test]
    public void Every_file_has_the_sm3_and_row_count_the_manifest_states()
    {
        var manifest = ReadCsv(File("manifest.csv"));
        Assert.That(manifest[0], Is.EqualTo(new[] { "file", "sm3", "rows" }));
        Assert.That(manifest.Skip(1).Select(r => r[0]), Is.EqualTo(new[] { "vouchers.csv", "lines.csv", "returns.csv", "clearing.csv", "audit.csv" }));
        foreach (var row in manifest.Skip(1))
        {
            Assert.That(OpensslSm3(File(row[0])), Is.EqualTo(row[1]), row[0]);
            Assert.That(ReadCsv(File(row[0])).Count - 1, Is.EqualTo(long.Parse(row[2], CultureInfo.InvariantCulture)), row[0]);
        }
    }

    [Test]
    public async Task Lines_carry_every_line_with_its_journal_entry_return_and_reissue_links_both_ways()
    {
        var rows = ReadCsv(File("lines.csv"));
        var header = rows[0];
        Assert.That(header, Is.EqualTo(new[] { "区划", "凭证号", "序号", "姓名", "证件号码", "银行账号", "手机号码", "补贴名称", "期间", "金额", "结果",
            "银行流水号", "入账时间", "退回日期", "退回执行时间", "补发凭证号", "补发序号", "原凭证号", "原序号" }));
        var lines = rows.Skip(1).Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.That(lines, Has.Count.EqualTo(await _gateway.ScalarAsync<long>("select count(*) from voucher_lines")));

        var paid = lines.Where(l => l["结果"] == "成功").ToList();
        Assert.That(paid, Has.Count.EqualTo(await _gateway.ScalarAsync<long>("select count(*) from journal where kind = 'P' and side = 'C'")));
        var journalIds = (await _gateway.QueryAsync<long>("select id from journal where kind = 'P' and side = 'C'")).Select(i => i.ToString(CultureInfo.InvariantCulture));
        Assert.That(paid.Select(l => l["银行流水号"]), Is.EquivalentTo(journalIds));
        Assert.That(paid.Select(l => l["入账时间"]), Is.All.Match(@"^2\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"));

        var failed = lines.Where(l => l["结果"].StartsWith('F')).ToList();
        Assert.That(failed, Has.Count.EqualTo(await _gateway.ScalarAsync<long>("select count(*) from line_failures")));
        Assert.That(failed.Where(l => l["凭证号"] == "ZF2024000124").Select(l => l["退回日期"]), Is.All.EqualTo("2024-10-08"), "returned after National Day");
        Assert.That(failed.Select(l => l["银行流水号"]), Is.All.Empty);

        var original = lines.Single(l => l["凭证号"] == "ZF2024000124" && l["序号"] == "14");
        Assert.That((original["补发凭证号"], original["补发序号"]), Is.EqualTo(("ZF2024000301", "1")));
        var reissue = lines.Single(l => l["凭证号"] == "ZF2024000301" && l["序号"] == "1");
        Assert.That((reissue["原凭证号"], reissue["原序号"]), Is.EqualTo(("ZF2024000124", "14")));
        Assert.That(reissue["结果"], Is.EqualTo("成功"));
        Assert.That(reissue["证件号码"], Is.EqualTo("52272619790421347X"), "full personal data for the supervisor");
    }

    [Test]
    public void Vouchers_returns_and_clearing_are_exported()
    {
        Assert.That(ReadCsv(File("vouchers.csv")).Skip(1).Select(r => r[1]), Has.Member("ZF2024000124").And.Member("ZF2024000301"));
        var returns = ReadCsv(File("returns.csv")).Skip(1).ToList();
        Assert.That(returns.Single(r => r[1] == "ZF2024000124")[9], Is.EqualTo("EXECUTED"));
        Assert.That(ReadCsv(File("clearing.csv")).Skip(1).Select(r => r[1]), Is.All.EqualTo("2024-09-30").And.Not.Empty);
    }

    [Test]
    public async Task Existing_package_is_never_overwritten_and_the_export_is_in_the_audit_log()
    {
        string before = Convert.ToHexString(System.IO.File.ReadAllBytes(File("manifest.csv.sig")));
        var again = await _worker.RunAsync(Export("2024-09-01", "2024-09-30", Path.GetDirectoryName(_package)!));
        Assert.That(again.ExitCode, Is.EqualTo(1), again.Stdout + again.Stderr);
        Assert.That(again.Stderr, Does.Contain("exists already"));
        Assert.That(Convert.ToHexString(System.IO.File.ReadAllBytes(File("manifest.csv.sig"))), Is.EqualTo(before));

        var subjects = await _gateway.QueryAsync<string>("select subject from audit_log where action = 'supervision.export' and subject = 'JG_20240901_20240930'");
        Assert.That(subjects, Has.Count.EqualTo(1), "recorded once; the refused run recorded nothing");
        var verify = await _worker.RunAsync("audit", "verify");
        Assert.That(verify.ExitCode, Is.Zero, verify.Stdout + verify.Stderr);
    }

    [Test]
    public async Task Audit_file_holds_the_period_entries_with_their_hashes_and_escapes_formulas()
    {
        await using (var connection = await _gateway.Db.OpenConnectionAsync())
            await AuditChain.AppendAsync(connection, null, "tester", "note", "x", "=HYPERLINK(\"http://evil\")", CancellationToken.None);
        string today = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string dir = Path.Combine(_gateway.Work, "exports-today");
        var run = await _worker.RunAsync(Export(today, today, dir));
        Assert.That(run.ExitCode, Is.Zero, run.Stdout + run.Stderr);
        var audit = ReadCsv(Path.Combine(Directory.GetDirectories(dir).Single(), "audit.csv"));
        Assert.That(audit[0], Is.EqualTo(new[] { "编号", "时间", "操作人", "动作", "对象", "详情", "前序SM3", "本条SM3" }));
        Assert.That(audit.Skip(1).Select(r => r[3]), Has.Member("return.execute").And.Member("supervision.export"));
        Assert.That(audit.Skip(1).Select(r => r[7]), Is.All.Match("^[0-9a-f]{64}$"));
        Assert.That(audit.Skip(1).Select(r => r[5]), Has.Member("'=HYPERLINK(\"http://evil\")"));
    }

    private static string OpensslSm3(string file)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "dgst", "-sm3", "-r", file }) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, output);
        return output.Split(' ')[0].Trim();
    }

    /// <summary>RFC 4180 records (quoted fields may hold commas, quotes and line breaks); the file must be UTF-8 without BOM.</summary>
    private static List<string[]> ReadCsv(string path)
    {
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        Assert.That(bytes.Take(3), Is.Not.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), "no BOM");
        string text = new UTF8Encoding(false, true).GetString(bytes);
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
                fields.Add(field.ToString()); field.Clear();
                records.Add([.. fields]); fields.Clear();
            }
            else field.Append(c);
        }
        Assert.That(field.Length == 0 && fields.Count == 0, Is.True, "ends with CRLF");
        return records;
    }
}
