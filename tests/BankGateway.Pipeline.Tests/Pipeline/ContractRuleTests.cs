using BankGateway.Domain.Codes;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Hosting.Service;
using NUnit.Framework;
using static BankGateway.Pipeline.Tests.Pipeline.VoucherBuilder;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// Each voucher-level code R01–R07 and the database-level line codes F06/F07, with an input that
/// triggers it and one that just misses it, through the real pipeline on a real PostgreSQL.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ContractRuleTests
{
    private GatewayHarness _gateway = null!;
    private readonly Sm2PrivateKey _finance = Sm2KeyGenerator.Generate();
    private int _run;

    [OneTimeSetUp]
    public async Task Start()
    {
        var server = await TestDatabase.GetSharedAsync();
        _gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"));
        var data = Path.Combine(_gateway.Work, "data");
        var built = LargeVoucher.Write(Path.Combine(_gateway.Work, "unused"), data, 40, _finance, accountMultiple: 1);
        await _gateway.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);
        await _gateway.Get<CatalogueImport>().ImportAsync(built.CataloguePath, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _gateway.DisposeAsync();

    private async Task<IntakeOutcome> RunAsync(VoucherBuilder voucher)
    {
        string inbox = Path.Combine(_gateway.Work, $"inbox{++_run}");
        voucher.WriteTo(inbox, _finance);
        var report = await _gateway.RunOnceAsync(inbox, _finance.PublicKey, new DateOnly(2024, 9, 30));
        return report.Intake.Single();
    }

    private List<ResultRow> Results(string voucherNo)
    {
        string path = Path.Combine(_gateway.Outbox, $"RS_522726_{voucherNo}.csv");
        using var stream = File.OpenRead(path);
        using var reader = new ResultCsvReader(stream, path);
        return reader.ReadRows().ToList();
    }

    private static void AssertRejected(IntakeOutcome outcome, RejectCode code) =>
        Assert.That((outcome.Kind, outcome.Code), Is.EqualTo((IntakeKind.Rejected, code)), outcome.Detail);

    private static void AssertAccepted(IntakeOutcome outcome) =>
        Assert.That(outcome.Kind, Is.EqualTo(IntakeKind.Accepted), outcome.Detail);

    [Test]
    public async Task Voucher_signed_with_another_key_is_rejected_R01_and_with_the_bureaus_key_accepted()
    {
        AssertRejected(await RunAsync(new("ZFR0101", Line(1, 1)) { SignWith = Sm2KeyGenerator.Generate() }), RejectCode.R01);
        AssertAccepted(await RunAsync(new("ZFR0102", Line(1, 2))));
    }

    [Test]
    public async Task Detail_digest_one_digit_off_is_rejected_R02_and_upper_case_hex_accepted()
    {
        AssertRejected(await RunAsync(new("ZFR0201", Line(1, 3)) { Xml = x => FlipLastHexDigitOfSm3(x) }), RejectCode.R02);
        AssertAccepted(await RunAsync(new("ZFR0202", Line(1, 4)) { Voucher = v => v with { DetailFileSm3 = v.DetailFileSm3.ToUpperInvariant() } }));
    }

    [Test]
    public async Task Count_or_sum_one_off_is_rejected_R03_and_exact_totals_accepted()
    {
        AssertRejected(await RunAsync(new("ZFR0301", Line(1, 5), Line(2, 6)) { Voucher = v => v with { DetailCount = 3 } }), RejectCode.R03);
        AssertRejected(await RunAsync(new("ZFR0302", Line(1, 5), Line(2, 6)) { Voucher = v => v with { PayAmt = v.PayAmt + new BankGateway.Domain.Money(1) } }), RejectCode.R03);
        AssertAccepted(await RunAsync(new("ZFR0303", Line(1, 5), Line(2, 6))));
    }

    [Test]
    public async Task Same_number_with_other_content_is_R04_while_identical_content_is_acknowledged_again()
    {
        var first = new VoucherBuilder("ZFR0401", Line(1, 7));
        AssertAccepted(await RunAsync(first));
        Assert.That((await RunAsync(new("ZFR0401", Line(1, 7)))).Kind, Is.EqualTo(IntakeKind.Redelivered), "identical bytes");
        AssertRejected(await RunAsync(new("ZFR0401", Line(1, 7, amount: "351.00"))), RejectCode.R04);
    }

    [Test]
    public async Task Doctype_or_bad_field_or_foreign_file_name_is_rejected_R05_and_nothing_recorded()
    {
        AssertRejected(await RunAsync(new("ZFR0501", Line(1, 8)) { Xml = x => x.Replace("<Voucher>", "<!DOCTYPE Voucher [<!ENTITY x \"y\">]>\n<Voucher>", StringComparison.Ordinal) }), RejectCode.R05);
        AssertRejected(await RunAsync(new("ZFR0502", Line(1, 8)) { Xml = x => x.Replace("<VouDate>2024-09-29</VouDate>", "<VouDate>2024-02-30</VouDate>", StringComparison.Ordinal) }), RejectCode.R05);
        AssertRejected(await RunAsync(new("ZFR0503", Line(1, 8)) { Xml = x => x.Replace("<VoucherNo>ZFR0503</VoucherNo>", "<VoucherNo>ZFR9999</VoucherNo>", StringComparison.Ordinal) }), RejectCode.R05);
        Assert.That(await _gateway.ScalarAsync<long>("select count(*) from vouchers where voucher_no like 'ZFR05%'"), Is.Zero);
        Assert.That(File.Exists(Path.Combine(_gateway.Outbox, "RJ_522726_ZFR0502.xml.sig")), Is.True, "answered with a signed RJ_");
    }

    [Test]
    public async Task Wrong_column_count_deep_in_the_list_is_R06_naming_the_line_and_nothing_is_half_recorded()
    {
        var lines = Enumerable.Range(1, 30).Select(i => Line(i, 10 + i % 5 + 100)).ToArray();
        var outcome = await RunAsync(new("ZFR0601", lines) { Csv = c => ReplaceLine(c, 21, l => l + ",extra") });
        AssertRejected(outcome, RejectCode.R06);
        Assert.That(outcome.Detail, Does.Contain("line 21"));
        Assert.That(await _gateway.ScalarAsync<long>("select count(*) from vouchers where voucher_no = 'ZFR0601'"), Is.Zero);
        Assert.That(await _gateway.ScalarAsync<long>("select count(*) from voucher_lines l where not exists (select 1 from vouchers v where v.id = l.voucher_id)"), Is.Zero);
        AssertRejected(await RunAsync(new("ZFR0602", Line(1, 9)) { Csv = c => c.Replace("证件号码", "身份证号", StringComparison.Ordinal) }), RejectCode.R06);
        AssertAccepted(await RunAsync(new("ZFR0603", Line(1, 9)) { Encoding = BankGateway.Domain.Vouchers.DetailEncoding.Gb18030 }));
    }

    [Test]
    public async Task Subsidy_outside_the_years_catalogue_is_R07_and_the_listed_one_accepted()
    {
        AssertRejected(await RunAsync(new("ZFR0701", Line(1, 11)) { Voucher = v => v with { StYear = 2025 } }), RejectCode.R07);
        AssertAccepted(await RunAsync(new("ZFR0702", Line(1, 11))));
    }

    [Test]
    public async Task Same_person_twice_in_a_voucher_fails_F06_unless_the_first_line_failed_itself()
    {
        AssertAccepted(await RunAsync(new("ZFF0601", Line(1, 20), Line(2, 20))));
        Assert.That(Results("ZFF0601").Select(r => r.Success ? "paid" : r.FailureCode), Is.EqualTo(new[] { "paid", "F06" }));
        AssertAccepted(await RunAsync(new("ZFF0602", Line(1, 21, amount: "350.0"), Line(2, 21))));
        Assert.That(Results("ZFF0602").Select(r => r.Success ? "paid" : r.FailureCode), Is.EqualTo(new[] { "F04", "paid" }));
    }

    [Test]
    public async Task Person_paid_before_for_the_same_subsidy_and_period_fails_F07_but_another_period_is_paid()
    {
        // D57: a chunk nobody in which was paid before posts with the plain insert; only a chunk meeting an earlier
        // payment runs again with the F07-checked one.
        double Checked() => GatewayMetrics.PostingChunks.WithLabels("checked").Value;
        double Fast() => GatewayMetrics.PostingChunks.WithLabels("fast").Value;
        var (checked0, fast0) = (Checked(), Fast());
        AssertAccepted(await RunAsync(new("ZFF0701", Line(1, 30))));
        Assert.That((Checked() - checked0, Fast() - fast0), Is.EqualTo((0d, 1d)), "first payment: the fast insert");
        AssertAccepted(await RunAsync(new("ZFF0702", Line(1, 30))));
        Assert.That(Results("ZFF0702").Single().FailureCode, Is.EqualTo("F07"));
        Assert.That((Checked() - checked0, Fast() - fast0), Is.EqualTo((1d, 1d)), "paid before: the checked insert");
        AssertAccepted(await RunAsync(new("ZFF0703", Line(1, 30, period: "2024-10"))));
        Assert.That(Results("ZFF0703").Single().Success, Is.True);
    }

    [Test]
    public async Task Person_paid_before_whose_account_is_frozen_since_fails_F07_first_and_another_period_F12()
    {
        AssertAccepted(await RunAsync(new("ZFF0711", Line(1, 31))));
        Assert.That(Results("ZFF0711").Single().Success, Is.True);
        // 2 = frozen (F12). F07 comes before the account checks in the contract's order.
        await _gateway.ScalarAsync<int>("update accounts set status = 2 where account_no = @a returning 1", new { a = LargeVoucher.Account(31) });
        AssertAccepted(await RunAsync(new("ZFF0712", Line(1, 31))));
        Assert.That(Results("ZFF0712").Single().FailureCode, Is.EqualTo("F07"));
        AssertAccepted(await RunAsync(new("ZFF0713", Line(1, 31, period: "2024-10"))));
        Assert.That(Results("ZFF0713").Single().FailureCode, Is.EqualTo("F12"));
    }

    [Test]
    public async Task A_later_rejected_delivery_of_the_same_number_is_answered_with_its_own_RJ()
    {
        AssertRejected(await RunAsync(new("ZFR0801", Line(1, 12)) { SignWith = Sm2KeyGenerator.Generate() }), RejectCode.R01);
        AssertRejected(await RunAsync(new("ZFR0801", Line(1, 12)) { Voucher = v => v with { StYear = 2025 } }), RejectCode.R07);
        string rj = Path.Combine(_gateway.Outbox, "RJ_522726_ZFR0801.xml");
        using (var stream = File.OpenRead(rj))
            Assert.That(RejectionNoticeXml.Read(stream, rj).Code, Is.EqualTo(RejectCode.R07), "the newest answer");
        Assert.That(OpensslCheck.Verify(rj, SampleFiles.Key("bank_public.pem")).Ok, Is.True);
        AssertAccepted(await RunAsync(new("ZFR0801", Line(1, 12))));
    }

    [Test]
    public async Task Signed_or_malformed_amount_is_never_summed_paid_or_returned()
    {
        var outcome = await RunAsync(new("ZFR0901", Line(1, 13, amount: "-50.00"), Line(2, 14)));
        AssertAccepted(outcome);
        var rows = Results("ZFR0901");
        Assert.That(rows.Select(r => r.Success ? "paid" : r.FailureCode), Is.EqualTo(new[] { "F04", "paid" }));
        Assert.That(await _gateway.ScalarAsync<long>("select failed_fen from vouchers where voucher_no = 'ZFR0901'"), Is.Zero);
    }

    private static string FlipLastHexDigitOfSm3(string xml)
    {
        int end = xml.IndexOf("</DetailFileSm3>", StringComparison.Ordinal);
        char c = xml[end - 1];
        return xml[..(end - 1)] + (c == '0' ? '1' : '0') + xml[end..];
    }

    private static string ReplaceLine(string csv, int physicalLine, Func<string, string> change)
    {
        var lines = csv.Split("\r\n");
        lines[physicalLine - 1] = change(lines[physicalLine - 1]);
        return string.Join("\r\n", lines);
    }
}
