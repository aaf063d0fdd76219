using System.Text;
using BankGateway.Domain.Identity;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.MasterData;
using Dapper;
using NUnit.Framework;
using static BankGateway.Pipeline.Tests.Supervision.Planter;

namespace BankGateway.Pipeline.Tests.Supervision;

/// <summary>
/// Contract §15 anomaly rules A01–A05 through <c>anomalies run</c> (the real executable) on planted history:
/// each planted offence is listed exactly once under its rule, each near miss beside it is not, personal
/// data is masked but for the last 4 characters, and a clean month lists nothing.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AnomalyTests
{
    private GatewayHarness _gateway = null!;
    private WorkerProcess _worker = null!;
    private string _connectionString = null!;

    private const string Duyun = "522701";
    private const string Dushan = LargeVoucher.AdmDivCode;

    [OneTimeSetUp]
    public async Task Plant()
    {
        var server = await TestDatabase.GetSharedAsync();
        _connectionString = await server.CreateDatabaseAsync(GetType());
        _gateway = await GatewayHarness.StartAsync(_connectionString, SampleFiles.Key("bank_private.pem"));
        _worker = new WorkerProcess(Path.Combine(_gateway.Work, "home"), _connectionString);
        var plant = new Planter(_gateway.Db);

        // A04 history: the account master import changes holder data of 114, 115, 116 (not 117: status only).
        string accounts = Path.Combine(_gateway.Work, "accounts.csv");
        await File.WriteAllTextAsync(accounts, AccountsCsv((114, "正常", 0), (115, "正常", 0), (116, "正常", 0), (117, "正常", 0)));
        await _gateway.Get<AccountMaster>().ImportAsync(accounts, null, CancellationToken.None);
        await File.WriteAllTextAsync(accounts, AccountsCsv((114, "正常", 1), (115, "正常", 2), (116, "正常", 1), (117, "冻结", 0)));
        await _gateway.Get<AccountMaster>().ImportAsync(accounts, null, CancellationToken.None);
        var changed = await _gateway.QueryAsync<string>("select account_no from account_changes order by account_no");
        Assert.That(changed, Is.EqualTo(new[] { 114L, 115, 116 }.Select(LargeVoucher.Account)), "the trigger records holder name / ID changes only");
        // Put the recorded changes at the dates this history needs.
        foreach (var (person, at) in new[] { (114L, China(2024, 8, 20)), (115L, China(2024, 8, 5)), (116L, China(2024, 9, 6)) })
            await _gateway.ScalarAsync<int>("update account_changes set changed_at = @at where account_no = @a returning 1", new { at, a = LargeVoucher.Account(person) });

        var paid = China(2024, 9, 5);
        long v1 = await plant.VoucherAsync(Dushan, "YC0901", new DateOnly(2024, 9, 2));
        long v2 = await plant.VoucherAsync(Dushan, "YC0902", new DateOnly(2024, 9, 5), subsidy: "临时救助金");
        long v3 = await plant.VoucherAsync(Duyun, "YC0903", new DateOnly(2024, 9, 6), dept: "都匀市民政局");
        long v8 = await plant.VoucherAsync(Duyun, "YC0908", new DateOnly(2024, 9, 6), dept: "都匀市民政局", period: "2024-08");

        // A01: 101 paid into two accounts (listed twice); 102 paid twice into one account (not listed).
        await plant.LineAsync(v1, 1, 101, paidAt: paid);
        await plant.LineAsync(v2, 1, 101, account: LargeVoucher.Account(901), paidAt: paid);
        await plant.LineAsync(v1, 2, 102, paidAt: paid);
        await plant.LineAsync(v2, 2, 102, paidAt: paid);
        // A02: one phone on 5 IDs (listed, the default minimum); another on 4 IDs (not listed).
        for (int i = 0; i < 5; i++) await plant.LineAsync(v1, 3 + i, 103 + i, phone: "13800000005", paidAt: paid);
        for (int i = 0; i < 4; i++) await plant.LineAsync(v2, 3 + i, 108 + i, phone: "13800000004", paidAt: paid);
        // A03: 112 paid 低保 for 2024-09 by 独山县 and by 都匀市 (listed twice); 113 by 都匀市 for another period (not listed).
        await plant.LineAsync(v1, 8, 112, paidAt: paid);
        await plant.LineAsync(v3, 1, 112, paidAt: paid);
        await plant.LineAsync(v1, 9, 113, paidAt: paid);
        await plant.LineAsync(v8, 1, 113, paidAt: paid);
        // A04: credits 5 Sept. to 114 (changed 16 days before: listed), 115 (31 days before), 116 (changed after), 117 (status only).
        for (int i = 0; i < 4; i++) await plant.LineAsync(v2, 7 + i, 114 + i, paidAt: paid);

        // A05: voucher of 10 Sept., return executed 11 Sept.
        long v4 = await plant.VoucherAsync(Dushan, "YC0904", new DateOnly(2024, 9, 10));
        await plant.LineAsync(v4, 1, 120, failCode: 8);                    // listed: never re-issued nor paid
        await plant.LineAsync(v4, 2, 121, failCode: 6);                    // F06: must never be re-issued
        await plant.LineAsync(v4, 3, 122, failCode: 9);                    // re-issued by YC0907
        await plant.LineAsync(v4, 4, 123, failCode: 10);                   // paid later by YC0909 (no link)
        await plant.LineAsync(v4, 5, 124, failCode: 7);                    // F07: already paid
        await plant.LineAsync(v4, 6, 127, paidAt: China(2024, 9, 10));
        await plant.ReturnAsync(v4, new DateOnly(2024, 9, 11));
        long v7 = await plant.VoucherAsync(Dushan, "YC0907", new DateOnly(2024, 9, 20));
        await plant.LineAsync(v7, 1, 122, paidAt: China(2024, 9, 20), origVoucher: "YC0904", origSeq: "3");
        long v9 = await plant.VoucherAsync(Dushan, "YC0909", new DateOnly(2024, 9, 20));
        await plant.LineAsync(v9, 1, 123, paidAt: China(2024, 9, 20));
        // Return on Thu 26 Sept.: the 3rd working day after is Mon 30 Sept. (Sun 29 Sept. is an adjusted working day) — listed as of 30 Sept.
        long v5 = await plant.VoucherAsync(Dushan, "YC0905", new DateOnly(2024, 9, 24));
        await plant.LineAsync(v5, 1, 125, failCode: 8);
        await plant.ReturnAsync(v5, new DateOnly(2024, 9, 26));
        // Return on Fri 27 Sept.: the 3rd working day after is 8 Oct. (National Day) — not yet due as of 30 Sept.
        long v6 = await plant.VoucherAsync(Dushan, "YC0906", new DateOnly(2024, 9, 25));
        await plant.LineAsync(v6, 1, 126, failCode: 8);
        await plant.ReturnAsync(v6, new DateOnly(2024, 9, 27));

        // August: clean. Distinct people, phones and accounts; its only failure is an F06 that is returned.
        long v10 = await plant.VoucherAsync(Dushan, "YC0801", new DateOnly(2024, 8, 15), period: "2024-08");
        for (int i = 0; i < 3; i++) await plant.LineAsync(v10, 1 + i, 130 + i, phone: $"1390000000{i}", paidAt: China(2024, 8, 15));
        await plant.LineAsync(v10, 4, 133, failCode: 6);
        await plant.ReturnAsync(v10, new DateOnly(2024, 8, 16));
    }

    [OneTimeTearDown]
    public async Task Stop() => await _gateway.DisposeAsync();

    private static string AccountsCsv(params (long Person, string Status, int NameVariant)[] rows)
    {
        var text = new StringBuilder("账号,户名,证件号码,账户状态,余额\n");
        foreach (var (person, status, variant) in rows)
        {
            string name = variant == 1 ? LargeVoucher.Name(person + 1000) : LargeVoucher.Name(person);
            string id = variant == 2 ? LargeVoucher.IdNumber(person + 1000) : LargeVoucher.IdNumber(person);
            text.Append($"{LargeVoucher.Account(person)},{name},{id},{status},100.00\n");
        }
        return text.ToString();
    }

    private async Task<List<string[]>> RunAsync(string from, string to, string outDir, WorkerProcess? worker = null)
    {
        var result = await (worker ?? _worker).RunAsync("anomalies", "run", "--from", from, "--to", to, "--out", outDir);
        Assert.That(result.ExitCode, Is.Zero, result.Stdout + result.Stderr);
        string file = Path.Combine(outDir, $"YC_{from.Replace("-", "", StringComparison.Ordinal)}_{to.Replace("-", "", StringComparison.Ordinal)}.csv");
        var lines = File.ReadAllLines(file, Encoding.UTF8);
        Assert.That(lines[0], Is.EqualTo("规则,说明,证件号码,银行账号,手机号码,凭证号,序号,金额"));
        return lines.Skip(1).Select(l => l.Split(',')).ToList();
    }

    private static string[] Listed(List<string[]> rows, string rule) =>
        rows.Where(r => r[0] == rule).Select(r => $"{r[5]}/{r[6]}").Order(StringComparer.Ordinal).ToArray();

    [Test]
    public async Task Each_planted_offence_is_listed_once_under_its_rule_and_near_misses_are_not()
    {
        var rows = await RunAsync("2024-09-01", "2024-09-30", Path.Combine(_gateway.Work, "yc-sept"));
        Assert.Multiple(() =>
        {
            Assert.That(Listed(rows, "A01"), Is.EqualTo(new[] { "YC0901/1", "YC0902/1" }), "A01");
            Assert.That(Listed(rows, "A02"), Is.EqualTo(new[] { "YC0901/3", "YC0901/4", "YC0901/5", "YC0901/6", "YC0901/7" }), "A02");
            Assert.That(Listed(rows, "A03"), Is.EqualTo(new[] { "YC0901/8", "YC0903/1" }), "A03");
            Assert.That(Listed(rows, "A04"), Is.EqualTo(new[] { "YC0902/7" }), "A04");
            Assert.That(Listed(rows, "A05"), Is.EqualTo(new[] { "YC0904/1", "YC0905/1" }), "A05");
            Assert.That(rows, Has.Count.EqualTo(12), "nothing else");
        });
    }

    [Test]
    public async Task Personal_data_is_masked_but_for_the_last_4_characters()
    {
        var rows = await RunAsync("2024-09-01", "2024-09-30", Path.Combine(_gateway.Work, "yc-mask"));
        var a01 = rows.First(r => r[0] == "A01" && r[5] == "YC0902");
        Assert.That(a01[2], Is.EqualTo(new string('*', 14) + LargeVoucher.IdNumber(101)[^4..]));
        Assert.That(a01[3], Is.EqualTo(new string('*', 15) + LargeVoucher.Account(901)[^4..]));
        Assert.That(a01[7], Is.EqualTo("350.00"));
        Assert.That(rows.First(r => r[0] == "A02")[4], Is.EqualTo("*******0005"));
        Assert.That(TailMask.KeepLast4("1234"), Is.EqualTo("****"));
        Assert.That(string.Join("\n", rows.Select(r => string.Join(",", r))), Does.Not.Contain(LargeVoucher.IdNumber(101)));
    }

    [Test]
    public async Task Clean_month_lists_nothing()
    {
        var rows = await RunAsync("2024-08-01", "2024-08-31", Path.Combine(_gateway.Work, "yc-aug"));
        Assert.That(rows, Is.Empty);
    }

    [Test]
    public async Task Shared_phone_minimum_comes_from_configuration()
    {
        var worker = new WorkerProcess(Path.Combine(_gateway.Work, "home"), _connectionString,
            new Dictionary<string, string?> { ["Gateway__Anomalies__SharedPhoneMin"] = "4" });
        var rows = await RunAsync("2024-09-01", "2024-09-30", Path.Combine(_gateway.Work, "yc-four"), worker);
        Assert.That(Listed(rows, "A02"), Has.Length.EqualTo(9), "the 4-ID phone is listed too");
    }

    [TestCase("2024-09-30", "2024-09-01")]
    [TestCase("2024-09-31", "2024-09-30")]
    public async Task Bad_window_is_bad_usage(string from, string to)
    {
        var result = await _worker.RunAsync("anomalies", "run", "--from", from, "--to", to, "--out", Path.Combine(_gateway.Work, "yc-bad"));
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Stdout + result.Stderr);
        Assert.That(result.Stderr, Does.Contain("usage error").Or.Contain("is after"));
    }

    [Test]
    public async Task The_run_is_recorded_in_the_audit_log()
    {
        await RunAsync("2024-09-01", "2024-09-30", Path.Combine(_gateway.Work, "yc-audit"));
        var detail = await _gateway.ScalarAsync<string>("select detail from audit_log where action = 'anomalies.run' order by id desc limit 1");
        Assert.That(detail, Does.Contain("A01 2, A02 5, A03 2, A04 1, A05 2"));
    }
}
