using System.Globalization;
using System.Xml.Linq;
using BankGateway.Domain;
using BankGateway.Domain.Statements;
using BankGateway.Files.Formats;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Worker.Reconciliation;
using Dapper;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Reconciliation;

/// <summary>
/// DZ_ month-end and year-end statements (contract §14) over <see cref="StatementMonth"/>: every total is the sum of
/// its lines and agrees with independent sums over the HD_, RS_, TH_ and QS_ files actually sent; signed for stock
/// OpenSSL; written once; refused while the period runs or while a voucher of it is unfinished.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ReconciliationStatementTests
{
    private StatementMonth _month = null!;

    [OneTimeSetUp]
    public async Task Build() => _month = await StatementMonth.BuildAsync("reconciliation_statements");

    [OneTimeTearDown]
    public async Task Cleanup() => await _month.DisposeAsync();

    private ReconciliationStatements Service => _month.Gateway.Get<ReconciliationStatements>();

    private async Task<ReconciliationStatements.Outcome> StateAsync(StatementPeriod period)
    {
        _month.At(2025, 1, 2);
        var outcomes = await Service.RunAsync(period, _month.Statements, CancellationToken.None);
        Assert.That(outcomes, Has.Count.EqualTo(1), "one bureau");
        Assert.That(outcomes[0].Refused, Is.False, string.Join(", ", outcomes[0].Unfinished));
        return outcomes[0];
    }

    private sealed record Dz(Dictionary<string, string> Fields, List<Dictionary<string, string>> Lines)
    {
        public Money Amt(string name) => Money.Parse(Fields[name]);
        public Money Sum(string attribute, Func<Dictionary<string, string>, bool>? where = null) =>
            Lines.Where(where ?? (_ => true)).Aggregate(Money.Zero, (a, l) => a + Money.Parse(l[attribute]));
        public Dictionary<string, string> Line(string voucherNo) => Lines.Single(l => l["VoucherNo"] == voucherNo);
    }

    /// <summary>Reads a DZ_ with plain LINQ to XML, independently of the gateway's writer.</summary>
    private static Dz Read(string path)
    {
        var root = XDocument.Load(path).Root!;
        Assert.That(root.Name.LocalName, Is.EqualTo("ReconciliationStatement"));
        var fields = root.Elements().Where(e => e.Name != "Lines").ToDictionary(e => e.Name.LocalName, e => e.Value);
        var lines = root.Element("Lines")!.Elements("Line").Select(l => l.Attributes().ToDictionary(a => a.Name.LocalName, a => a.Value)).ToList();
        return new Dz(fields, lines);
    }

    private static Money SumOf<T>(IEnumerable<T> items, Func<T, Money> amount) => items.Aggregate(Money.Zero, (a, i) => a + amount(i));

    private VoucherReceipt Receipt(string voucherNo)
    {
        using var s = File.OpenRead(_month.Out($"HD_522726_{voucherNo}.xml"));
        return VoucherReceiptXml.Read(s, "HD");
    }

    private List<ResultRow> Results(string voucherNo)
    {
        using var s = File.OpenRead(_month.Out($"RS_522726_{voucherNo}.csv"));
        using var reader = new ResultCsvReader(s, "RS");
        return reader.ReadRows().ToList();
    }

    private List<ReturnNotice> Returns() => Directory.GetFiles(_month.Outbox, "TH_522726_*.xml").Select(f =>
    {
        using var s = File.OpenRead(f);
        return ReturnNoticeXml.Read(s, Path.GetFileName(f));
    }).ToList();

    private List<ClearingRequest> Clearings() => Directory.GetFiles(_month.Outbox, "QS_522726_*.xml").Select(f =>
    {
        using var s = File.OpenRead(f);
        return ClearingRequestXml.Read(s, Path.GetFileName(f));
    }).ToList();

    [Test]
    public async Task September_totals_are_the_sums_of_the_lines_and_of_the_files_sent()
    {
        var outcome = await StateAsync(StatementPeriod.Month(2024, 9));
        Assert.That(Path.GetFileName(outcome.Path), Is.EqualTo("DZ_522726_202409.xml"));
        var dz = Read(outcome.Path!);
        var september = StatementPeriod.Month(2024, 9);

        string[] expected = ["ZF2024000124", "ZF2024000402", "ZF2024000123", "ZF2024000125", "ZF2024000126", "ZF2024000301", StatementMonth.LateVoucher];
        Assert.That(dz.Lines.Select(l => l["VoucherNo"]), Is.EqualTo(expected), "accepted vouchers of the month, by business date then number; rejected sets are not vouchers");
        Assert.That(dz.Fields["AdmDivCode"], Is.EqualTo("522726"));
        Assert.That(dz.Fields["Period"], Is.EqualTo("2024-09"));

        // Totals = sums of lines.
        Assert.That(int.Parse(dz.Fields["ReceivedCount"], CultureInfo.InvariantCulture), Is.EqualTo(dz.Lines.Count));
        foreach (var (total, attribute) in new[] { ("ReceivedAmt", "PayAmt"), ("PaidAmt", "PaidAmt"), ("FailedAmt", "FailedAmt"), ("ReturnedAmt", "ReturnedAmt") })
            Assert.That(dz.Amt(total), Is.EqualTo(dz.Sum(attribute)), total);
        Assert.That(dz.Amt("TreasuryAmt"), Is.EqualTo(dz.Sum("PaidAmt", l => l["FundChannel"] == "TREASURY")));
        Assert.That(dz.Amt("GrainFundAmt"), Is.EqualTo(dz.Sum("PaidAmt", l => l["FundChannel"] == "GRAIN_FUND")));
        Assert.That(dz.Amt("PendingReturnAmt"), Is.EqualTo(dz.Amt("FailedAmt") - dz.Amt("ReturnedAmt")));
        foreach (var l in dz.Lines)
            Assert.That(Money.Parse(l["PaidAmt"]) + Money.Parse(l["FailedAmt"]), Is.EqualTo(Money.Parse(l["PayAmt"])), l["VoucherNo"]);
        Assert.That(dz.Fields.Values.Concat(dz.Lines.SelectMany(l => l.Values)).Where(v => v.Contains('.', StringComparison.Ordinal)),
            Has.All.Match(@"^(0|[1-9][0-9]*)\.[0-9]{2}$"), "amounts in yuan, exactly two decimals");

        // Totals = independent sums over the files the bureau received.
        var receipts = expected.Select(Receipt).ToList();
        Assert.That(dz.Amt("ReceivedAmt"), Is.EqualTo(SumOf(receipts, r => r.TotalAmt)), "HD_ TotalAmt");
        Assert.That(dz.Amt("PaidAmt"), Is.EqualTo(SumOf(receipts, r => r.PaidAmt)), "HD_ PaidAmt");
        Assert.That(dz.Amt("FailedAmt"), Is.EqualTo(SumOf(receipts, r => r.FailedAmt)), "HD_ FailedAmt");
        Assert.That(dz.Amt("PaidAmt"), Is.EqualTo(SumOf(expected.SelectMany(Results).Where(r => r.Success), r => Money.Parse(r.Amount))), "RS_ 成功 rows");
        Assert.That(dz.Amt("GrainFundAmt"), Is.EqualTo(SumOf(Results("ZF2024000126").Where(r => r.Success), r => Money.Parse(r.Amount))), "ZF2024000126 is GRAIN_FUND");
        Assert.That(dz.Amt("GrainFundAmt").IsPositive && dz.Amt("TreasuryAmt").IsPositive, Is.True);

        var notices = Returns().Where(t => expected.Contains(t.VoucherNo)).ToList();
        Assert.That(dz.Amt("ReturnedAmt"), Is.EqualTo(SumOf(notices.Where(t => september.Contains(t.ReturnDate)), t => t.ReturnAmt)), "TH_ executed in September");
        Assert.That(dz.Amt("PendingReturnAmt"), Is.EqualTo(SumOf(notices.Where(t => t.ReturnDate > september.Last), t => t.ReturnAmt)), "TH_ executed after September");
        Assert.That(dz.Amt("ReturnedAmt").IsPositive && dz.Amt("PendingReturnAmt").IsPositive, Is.True, "one return inside the month, others after it");
        Assert.That(dz.Amt("ClearedAmt"), Is.EqualTo(SumOf(Clearings().Where(q => september.Contains(q.ClearDate)), q => q.TotalAmt)), "QS_ dated in September");

        // Per line: the return of ZF2024000124 executed on the 调休 Sunday; ZF2024000126's is due after the holiday.
        Assert.That(dz.Line("ZF2024000124")["ReturnDate"], Is.EqualTo("2024-09-29"));
        Assert.That(dz.Line("ZF2024000124")["ReturnedAmt"], Is.EqualTo(dz.Line("ZF2024000124")["FailedAmt"]));
        Assert.That(dz.Line("ZF2024000126")["ReturnDate"], Is.EqualTo("2024-10-08"));
        Assert.That(dz.Line("ZF2024000126")["ReturnedAmt"], Is.EqualTo("0.00"));
        Assert.That(dz.Line("ZF2024000126")["FundChannel"], Is.EqualTo("GRAIN_FUND"));
        Assert.That(dz.Line("ZF2024000402")["ReturnDate"], Is.Empty, "nothing failed");
        Assert.That(dz.Line("ZF2024000124")["ClearDate"], Is.EqualTo("2024-09-27"));
        Assert.That(dz.Line("ZF2024000123")["ClearDate"], Is.EqualTo("2024-09-30"));
        Assert.That(dz.Line(StatementMonth.LateVoucher)["ClearDate"], Is.EqualTo("2024-10-08"), "the late voucher is cleared by the next QS_");
        Assert.That(Clearings().Where(q => q.Lines.Any(l => l.VoucherNo == StatementMonth.LateVoucher)).Select(q => q.ClearDate),
            Is.EqualTo(new[] { new DateOnly(2024, 10, 8) }), "in exactly one QS_");
        foreach (var q in Clearings())
            foreach (var listed in q.Lines.Where(l => expected.Contains(l.VoucherNo)))
                Assert.That(dz.Line(listed.VoucherNo)["ClearDate"], Is.EqualTo(q.ClearDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), $"{listed.VoucherNo} is listed by {q.ClearDate}");
    }

    [Test]
    public async Task August_shows_the_return_executed_in_September_as_pending()
    {
        var dz = Read((await StateAsync(StatementPeriod.Month(2024, 8))).Path!);
        Assert.That(dz.Lines.Select(l => l["VoucherNo"]), Is.EqualTo(new[] { "ZF2024000401" }));
        Assert.That(dz.Fields["ReceivedAmt"], Is.EqualTo("1200.00"));
        Assert.That(dz.Fields["PaidAmt"], Is.EqualTo("1100.00"));
        Assert.That(dz.Fields["FailedAmt"], Is.EqualTo("100.00"));
        Assert.That(dz.Fields["ReturnedAmt"], Is.EqualTo("0.00"));
        Assert.That(dz.Fields["PendingReturnAmt"], Is.EqualTo("100.00"));
        Assert.That(dz.Fields["ClearedAmt"], Is.EqualTo("1100.00"));
        Assert.That(dz.Fields["GrainFundAmt"], Is.EqualTo("0.00"));
        Assert.That(dz.Line("ZF2024000401")["ReturnDate"], Is.EqualTo("2024-09-02"));
        Assert.That(dz.Line("ZF2024000401")["ClearDate"], Is.EqualTo("2024-08-30"));
    }

    [Test]
    public async Task The_year_has_every_return_executed_and_nothing_pending()
    {
        var outcome = await StateAsync(StatementPeriod.OfYear(2024));
        Assert.That(Path.GetFileName(outcome.Path), Is.EqualTo("DZ_522726_2024.xml"));
        var dz = Read(outcome.Path!);
        Assert.That(dz.Fields["Period"], Is.EqualTo("2024"));
        Assert.That(dz.Lines, Has.Count.EqualTo(8));
        Assert.That(dz.Amt("ReturnedAmt"), Is.EqualTo(SumOf(Returns(), t => t.ReturnAmt)));
        Assert.That(dz.Amt("ReturnedAmt"), Is.EqualTo(dz.Amt("FailedAmt")));
        Assert.That(dz.Fields["PendingReturnAmt"], Is.EqualTo("0.00"));
        Assert.That(dz.Amt("ClearedAmt"), Is.EqualTo(SumOf(Clearings(), q => q.TotalAmt)));
        Assert.That(dz.Amt("ClearedAmt"), Is.EqualTo(dz.Amt("PaidAmt")), "every paid voucher was cleared within the year");
    }

    [Test]
    public async Task Statement_is_signed_for_stock_openssl_and_never_rewritten()
    {
        var first = await StateAsync(StatementPeriod.Month(2024, 9));
        var (ok, output) = OpensslCheck.Verify(first.Path!, StatementMonth.BankPublicKey);
        Assert.That(ok, Is.True, output);
        byte[] bytes = File.ReadAllBytes(first.Path!);
        string sig = File.ReadAllText(first.Path! + ".sig");
        DateTime written = File.GetLastWriteTimeUtc(first.Path!);

        var again = await StateAsync(StatementPeriod.Month(2024, 9));
        Assert.That(again.New, Is.False, "a rerun reports the statement unchanged");
        Assert.That(again.DiffersFromDatabase, Is.False);
        Assert.That(File.ReadAllBytes(first.Path!), Is.EqualTo(bytes));
        Assert.That(File.ReadAllText(first.Path! + ".sig"), Is.EqualTo(sig), "not re-signed");
        Assert.That(File.GetLastWriteTimeUtc(first.Path!), Is.EqualTo(written));
        Assert.That(await _month.Gateway.ScalarAsync<string>(
            "select kind || ' ' || source from outbound_files where file_name = 'DZ_522726_202409.xml'"), Is.EqualTo("DZ statement:522726:2024-09"));
    }

    [Test]
    public void A_month_not_ended_in_China_time_is_refused()
    {
        // 23:59:59 on 2024-09-30 in China: September is still running.
        _month.Gateway.Clock.Now = new DateTimeOffset(2024, 9, 30, 15, 59, 59, TimeSpan.Zero);
        var e = Assert.ThrowsAsync<StatementRefusedException>(() => Service.RunAsync(StatementPeriod.Month(2024, 9), _month.Statements, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("2024-09").And.Contain("not ended"));
        _month.Gateway.Clock.Now = new DateTimeOffset(2024, 12, 31, 12, 0, 0, TimeSpan.Zero);
        Assert.ThrowsAsync<StatementRefusedException>(() => Service.RunAsync(StatementPeriod.OfYear(2024), _month.Statements, CancellationToken.None));
    }

    [Test]
    public async Task A_period_with_an_unfinished_voucher_is_refused_naming_it()
    {
        await using (var connection = await _month.Gateway.Db.OpenConnectionAsync())
        {
            // A voucher of 2023-08 stuck in posting (a copy of a real one, moved to another year so no other test sees it).
            await connection.ExecuteAsync("""
                insert into vouchers (adm_div_code, voucher_no, content_sm3, status, business_date, received_at, vt_code, st_year, vou_date,
                    dept_code, dept_name, subsidy_code, subsidy_name, period, pay_acct_no, pay_acct_name, fund_channel, return_acct_no,
                    return_acct_name, pay_amt_fen, detail_count, detail_file, detail_file_sm3, detail_encoding)
                select adm_div_code, 'ZF2023STUCK1', content_sm3, 'POSTING', date '2023-08-15', received_at, vt_code, st_year, vou_date,
                    dept_code, dept_name, subsidy_code, subsidy_name, period, pay_acct_no, pay_acct_name, fund_channel, return_acct_no,
                    return_acct_name, pay_amt_fen, detail_count, detail_file, detail_file_sm3, detail_encoding
                from vouchers cross join (select set_config('bankgateway.override', 'test: a voucher stuck in posting', true)) o
                where voucher_no = 'ZF2024000123'
                on conflict do nothing
                """);
        }
        _month.At(2025, 1, 2);
        var outcomes = await Service.RunAsync(StatementPeriod.Month(2023, 8), _month.Statements, CancellationToken.None);
        Assert.That(outcomes, Has.Count.EqualTo(1));
        Assert.That(outcomes[0].Refused, Is.True);
        Assert.That(outcomes[0].Unfinished, Is.EqualTo(new[] { "ZF2023STUCK1 (POSTING)" }));
        Assert.That(File.Exists(Path.Combine(_month.Statements, "DZ_522726_202308.xml")), Is.False);
    }

    [Test]
    public async Task A_month_without_activity_writes_nothing()
    {
        _month.At(2025, 1, 2);
        Assert.That(await Service.RunAsync(StatementPeriod.Month(2024, 7), _month.Statements, CancellationToken.None), Is.Empty);
        Assert.That(File.Exists(Path.Combine(_month.Statements, "DZ_522726_202407.xml")), Is.False);
    }

    [Test]
    public async Task A_month_with_only_a_clearing_request_is_stated_and_later_changes_never_rewrite_it()
    {
        // 2022-07: no voucher, one QS_ (recorded directly; no other test looks at 2022).
        await using (var connection = await _month.Gateway.Db.OpenConnectionAsync())
            await connection.ExecuteAsync("""
                insert into clearing_requests (adm_div_code, clear_date, voucher_count, total_fen, file_name, created_at)
                values ('522726', '2022-07-15', 1, 500, 'QS_522726_20220715.xml', now()) on conflict do nothing
                """);
        var first = await StateAsync(StatementPeriod.Month(2022, 7));
        var dz = Read(first.Path!);
        Assert.That((dz.Fields["ReceivedCount"], dz.Fields["ReceivedAmt"], dz.Fields["ClearedAmt"], dz.Lines.Count), Is.EqualTo(("0", "0.00", "5.00", 0)));
        byte[] bytes = File.ReadAllBytes(first.Path!);

        await using (var connection = await _month.Gateway.Db.OpenConnectionAsync())
            await connection.ExecuteAsync("update clearing_requests set total_fen = 700 where adm_div_code = '522726' and clear_date = '2022-07-15'");
        var again = await StateAsync(StatementPeriod.Month(2022, 7));
        Assert.That((again.New, again.DiffersFromDatabase), Is.EqualTo((false, true)), "reported, not rewritten");
        Assert.That(File.ReadAllBytes(first.Path!), Is.EqualTo(bytes));
    }
}
