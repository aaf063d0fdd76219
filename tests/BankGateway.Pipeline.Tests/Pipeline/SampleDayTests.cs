using BankGateway.Worker.Hosting;
using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Returns;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// One business day of 独山县 (2024-09-30) through the whole pipeline on a real PostgreSQL, with the
/// committed interface-samples: the day's vouchers, an identical re-delivery, an R04 re-delivery,
/// an account fix and a re-issue (补发). Every expectation comes from interface-samples/expected.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SampleDayTests
{
    private GatewayHarness _gateway = null!;
    private string _samples = null!;
    private readonly Dictionary<string, RunReport> _runs = [];
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);

    [OneTimeSetUp]
    public async Task RunTheDay()
    {
        var server = await TestDatabase.GetSharedAsync();
        _gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"),
            new Dictionary<string, string?> { ["Gateway:Posting:ChunkSize"] = "10000" });
        _samples = SampleFiles.CopyTo(_gateway.Work);
        await _gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(_samples, "catalogue.csv"), CancellationToken.None);
        await _gateway.Get<AccountMaster>().ImportAsync(Path.Combine(_samples, "accounts.csv"), null, CancellationToken.None);
        foreach (var folder in new[] { "inbox", "inbox-identical", "inbox-redelivery" })
            _runs[folder] = await _gateway.RunOnceAsync(Path.Combine(_samples, folder), SampleFiles.FinancePublic, BusinessDate);
        await _gateway.Get<AccountMaster>().ImportAsync(Path.Combine(_samples, "accounts-fix.csv"), null, CancellationToken.None);
        _runs["inbox-reissue"] = await _gateway.RunOnceAsync(Path.Combine(_samples, "inbox-reissue"), SampleFiles.FinancePublic, BusinessDate);
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _gateway.DisposeAsync();

    private string Out(string name) => Path.Combine(_gateway.Outbox, name);

    private static List<ResultRow> ReadResults(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new ResultCsvReader(stream, Path.GetFileName(path));
        return reader.ReadRows().ToList();
    }

    [Test]
    public void Every_line_ends_paid_or_failed_with_the_expected_code_and_reason()
    {
        var expected = SampleFiles.Rows(Path.Combine(_samples, "expected", "outcomes.csv"));
        Assert.That(expected, Has.Count.GreaterThan(90));
        foreach (var byVoucher in expected.GroupBy(r => r[0]))
        {
            var rows = ReadResults(Out($"RS_522726_{byVoucher.Key}.csv"));
            var want = byVoucher.ToList();
            Assert.That(rows.Select(r => r.SeqNo), Is.EqualTo(want.Select(w => w[1])), $"{byVoucher.Key}: one RS_ row per input line, in input order");
            for (int i = 0; i < rows.Count; i++)
            {
                Assert.That(rows[i].Success ? "成功" : "失败", Is.EqualTo(want[i][2]), $"{byVoucher.Key} line {want[i][1]}");
                Assert.That(rows[i].FailureCode, Is.EqualTo(want[i][3]), $"{byVoucher.Key} line {want[i][1]}");
                if (!rows[i].Success)
                {
                    Assert.That(rows[i].FailureReason, Is.EqualTo(OutcomeTable.Reason(OutcomeTable.ParseFailure(want[i][3]))));
                    Assert.That(rows[i].BankRef, Is.Empty);
                    Assert.That(rows[i].PostedAt, Is.Empty);
                }
                else
                {
                    Assert.That(rows[i].BankRef, Does.Match("^BG20240930[0-9]{12}$"));
                    Assert.That(rows[i].PostedAt, Does.Match(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"));
                }
            }
        }
    }

    [Test]
    public void Every_F_code_from_F01_to_F15_is_produced_by_the_samples()
    {
        var codes = Directory.GetFiles(_gateway.Outbox, "RS_*.csv").SelectMany(ReadResults).Where(r => !r.Success).Select(r => r.FailureCode).ToHashSet();
        Assert.That(codes, Is.SupersetOf(Enumerable.Range(1, 15).Select(i => $"F{i:00}")));
    }

    [Test]
    public void Every_rejected_set_gets_an_RJ_notice_with_its_code()
    {
        foreach (var row in SampleFiles.Rows(Path.Combine(_samples, "expected", "rejections.csv")))
        {
            using var stream = File.OpenRead(Out($"RJ_522726_{row[0]}.xml"));
            var notice = RejectionNoticeXml.Read(stream, row[0]);
            Assert.That(notice.Code.ToString(), Is.EqualTo(row[1]), row[0]);
            Assert.That(notice.Reason, Is.EqualTo(OutcomeTable.Reason(notice.Code)));
            Assert.That(notice.Detail, Is.Not.Empty);
        }
        Assert.That(_runs["inbox"].Intake.Count(o => o.Kind == IntakeKind.Rejected), Is.EqualTo(6));
    }

    [Test]
    public void Receipts_balance_paid_plus_failed_to_the_total_and_bind_the_result_file()
    {
        foreach (var path in Directory.GetFiles(_gateway.Outbox, "HD_*.xml"))
        {
            using var stream = File.OpenRead(path);
            var hd = VoucherReceiptXml.Read(stream, Path.GetFileName(path));
            Assert.That(hd.PaidAmt + hd.FailedAmt, Is.EqualTo(hd.TotalAmt), hd.VoucherNo);
            Assert.That(hd.PaidCount + hd.FailedCount, Is.EqualTo(hd.TotalCount), hd.VoucherNo);
            Assert.That(Sm3.HashFileHex(Out(hd.ResultFile)), Is.EqualTo(hd.ResultFileSm3), hd.VoucherNo);
            var rows = ReadResults(Out(hd.ResultFile));
            Assert.That(new Money(rows.Where(r => r.Success).Sum(r => Money.Parse(r.Amount).Fen)), Is.EqualTo(hd.PaidAmt), hd.VoucherNo);
            Assert.That(hd.Status, Is.EqualTo(hd.FailedCount == 0 ? ReceiptStatus.PAID : hd.PaidCount == 0 ? ReceiptStatus.FAILED : ReceiptStatus.PARTIAL));
            Assert.That(hd.ReturnDate, Is.EqualTo(hd.FailedCount > 0 ? new DateOnly(2024, 10, 8) : (DateOnly?)null), "next working day after National Day");
        }
        Assert.That(Directory.GetFiles(_gateway.Outbox, "HD_*.xml"), Has.Length.EqualTo(5));
    }

    [Test]
    public async Task Balances_are_opening_balance_plus_credits_to_the_fen()
    {
        var opening = SampleFiles.Rows(Path.Combine(_samples, "accounts.csv")).Concat(SampleFiles.Rows(Path.Combine(_samples, "accounts-fix.csv")))
            .GroupBy(r => r[0]).ToDictionary(g => g.Key, g => Money.Parse(g.First()[4]).Fen);
        var credited = Directory.GetFiles(_gateway.Outbox, "RS_*.csv").SelectMany(ReadResults).Where(r => r.Success)
            .GroupBy(r => r.AccountNo).ToDictionary(g => g.Key, g => g.Sum(r => Money.Parse(r.Amount).Fen));
        var balances = (await _gateway.QueryAsync<(string AccountNo, long BalanceFen)>("select account_no, balance_fen from accounts"))
            .ToDictionary(b => b.AccountNo, b => b.BalanceFen);
        Assert.That(credited, Is.Not.Empty);
        foreach (var (account, fen) in balances)
            Assert.That(fen, Is.EqualTo(opening[account] + credited.GetValueOrDefault(account)), $"account {account}");
    }

    [Test]
    public async Task Every_credit_carries_the_three_elements_and_the_ledger_balances()
    {
        var credits = await _gateway.QueryAsync<(string Narrative, long AmountFen, string DeptName, string SubsidyName)>("""
            select j.narrative, j.amount_fen, v.dept_name, v.subsidy_name from journal j join vouchers v on v.id = j.voucher_id
            where j.kind = 'P' and j.side = 'C'
            """);
        Assert.That(credits, Has.Count.EqualTo(10 + 50 + 10 + 9 + 1));
        foreach (var c in credits)
            Assert.That(c.Narrative, Is.EqualTo($"{c.DeptName}|{c.SubsidyName}|{new Money(c.AmountFen)}"));
        Assert.That(await _gateway.ScalarAsync<long>("select coalesce(sum(case side when 'D' then amount_fen else -amount_fen end), 0)::bigint from journal"), Is.Zero);
    }

    [Test]
    public void Every_outbound_file_verifies_with_stock_openssl()
    {
        var files = Directory.GetFiles(_gateway.Outbox).Where(f => !f.EndsWith(".sig", StringComparison.Ordinal)).ToList();
        Assert.That(files, Has.Count.GreaterThanOrEqualTo(12));
        foreach (var file in files)
        {
            var (ok, output) = OpensslCheck.Verify(file, SampleFiles.Key("bank_public.pem"));
            Assert.That(ok, Is.True, $"{Path.GetFileName(file)}: {output}");
        }
    }

    [Test]
    public async Task Identical_redelivery_is_acknowledged_again_and_never_reposted()
    {
        Assert.That(_runs["inbox-identical"].Intake.Single().Kind, Is.EqualTo(IntakeKind.Redelivered));
        Assert.That(await _gateway.ScalarAsync<long>("""
            select count(*) from journal j join vouchers v on v.id = j.voucher_id where v.voucher_no = 'ZF2024000123' and j.kind = 'P' and j.side = 'C'
            """), Is.EqualTo(50));
        Assert.That(Directory.GetFiles(Path.Combine(_samples, "inbox-identical", "processed")), Has.Length.EqualTo(3), "taken files moved to processed/");
    }

    [Test]
    public void Same_voucher_number_with_other_content_is_rejected_R04()
    {
        var outcome = _runs["inbox-redelivery"].Intake.Single();
        Assert.That((outcome.Kind, outcome.Code), Is.EqualTo((IntakeKind.Rejected, RejectCode.R04)));
    }

    [Test]
    public async Task Reissue_is_linked_to_its_failed_originals_both_ways()
    {
        var links = await _gateway.QueryAsync<(string ReissueVoucherNo, string OrigVoucherNo, string OrigSeqNo, short? OrigFailureCode)>("""
            select reissue_voucher_no, orig_voucher_no, orig_seq_no, orig_failure_code from reissue_links order by reissue_row_no
            """);
        Assert.That(links, Has.Count.EqualTo(2));
        Assert.That(links.Select(l => l.OrigVoucherNo), Is.All.EqualTo("ZF2024000124"));
        Assert.That(links.Select(l => l.OrigFailureCode), Is.All.Not.Null, "both originals had failed");
        long fromOriginal = await _gateway.ScalarAsync<long>("""
            select count(*) from reissue_links l join vouchers v on v.id = l.orig_voucher_id where v.voucher_no = 'ZF2024000124'
            """);
        Assert.That(fromOriginal, Is.EqualTo(2), "the original voucher finds its re-issues");
        var rows = ReadResults(Out("RS_522726_ZF2024000301.csv"));
        Assert.That(rows.Select(r => r.Success ? "paid" : r.FailureCode), Is.EquivalentTo(new[] { "paid", "F07" }));
    }

    [Test]
    public async Task Returns_fall_due_after_national_day_and_execute_exactly_once()
    {
        var service = _gateway.Get<ReturnService>();
        Assert.That(await service.RunAsync(new DateOnly(2024, 10, 7), _gateway.Outbox, "test", CancellationToken.None), Is.Empty, "not due during the holiday");
        var executed = await service.RunAsync(new DateOnly(2024, 10, 8), _gateway.Outbox, "test", CancellationToken.None);
        Assert.That(executed.Select(e => e.VoucherNo), Is.EquivalentTo(new[] { "ZF2024000124", "ZF2024000126", "ZF2024000301" }));
        var firstWrite = File.GetLastWriteTimeUtc(Out("TH_522726_ZF2024000124.xml"));
        Assert.That(await service.RunAsync(new DateOnly(2024, 10, 9), _gateway.Outbox, "test", CancellationToken.None), Is.Empty, "never twice");
        Assert.That(File.GetLastWriteTimeUtc(Out("TH_522726_ZF2024000124.xml")), Is.EqualTo(firstWrite));

        using (var stream = File.OpenRead(Out("TH_522726_ZF2024000126.xml")))
        {
            var grain = ReturnNoticeXml.Read(stream, "TH_522726_ZF2024000126.xml");
            Assert.That(grain.FundChannel.ToString(), Is.EqualTo("GRAIN_FUND"), "grain-fund money returns to the grain risk fund account");
            Assert.That(grain.Lines.Single().Code, Is.EqualTo(FailureCode.F08));
        }
        using (var stream = File.OpenRead(Out("TH_522726_ZF2024000124.xml")))
        {
            var notice = ReturnNoticeXml.Read(stream, "TH_522726_ZF2024000124.xml");
            Assert.That(notice.ReturnAmt, Is.EqualTo(Money.Parse("13571.00")));
            Assert.That(notice.Lines, Has.Count.EqualTo(16));
            Assert.That(new Money(notice.Lines.Sum(l => l.Amount.Fen)), Is.EqualTo(notice.ReturnAmt));
        }
        // Every voucher's transit account (代发过渡户) is back to zero: funded = paid + returned.
        Assert.That(await _gateway.ScalarAsync<long>("select count(*) from internal_accounts where account_no like 'TRANSIT-%' and balance_fen <> 0"), Is.Zero);
    }

    [Test]
    public async Task Clearing_request_lists_each_paid_voucher_once_and_a_rerun_rewrites_nothing()
    {
        var clearing = _gateway.Get<ClearingService>();
        var first = await clearing.RunAsync(BusinessDate, _gateway.Outbox, CancellationToken.None);
        var request = first.Single();
        Assert.That(request.Total, Is.EqualTo(Money.Parse("41967.94")));
        Assert.That(request.VoucherCount, Is.EqualTo(5));
        byte[] bytes = File.ReadAllBytes(request.Path);
        byte[] sig = File.ReadAllBytes(request.Path + ".sig");
        var again = await clearing.RunAsync(BusinessDate, _gateway.Outbox, CancellationToken.None);
        Assert.That(again.Single().New, Is.False);
        Assert.That(File.ReadAllBytes(request.Path), Is.EqualTo(bytes));
        Assert.That(File.ReadAllBytes(request.Path + ".sig"), Is.EqualTo(sig), "not re-signed");
        using var stream = File.OpenRead(request.Path);
        var qs = ClearingRequestXml.Read(stream, Path.GetFileName(request.Path));
        var keys = qs.Lines.Select(l => l.PayAcctNo + "/" + l.VoucherNo).ToList();
        Assert.That(keys, Is.EqualTo(keys.Order(StringComparer.Ordinal).ToList()), "ordered by PayAcctNo then VoucherNo");
        Assert.That(keys, Is.Unique);
        Assert.That(await clearing.RunAsync(new DateOnly(2024, 10, 1), _gateway.Outbox, CancellationToken.None), Is.Empty, "a day with nothing paid writes no QS_");
    }

    [Test]
    public void Gb18030_list_is_read_in_its_declared_encoding()
    {
        var rows = ReadResults(Out("RS_522726_ZF2024000125.csv"));
        Assert.That(rows, Has.Count.EqualTo(10));
        Assert.That(rows.All(r => r.Success), Is.True);
        Assert.That(string.Concat(rows.Select(r => r.Name)), Does.Contain("䶮"), "a four-byte GB18030 character survives");
        Assert.That(Encoding.UTF8.GetString(File.ReadAllBytes(Out("RS_522726_ZF2024000125.csv"))), Does.Contain("韦䶮"), "results are UTF-8");
    }
}
