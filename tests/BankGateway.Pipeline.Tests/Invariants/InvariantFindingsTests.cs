using BankGateway.Worker.Hosting;
using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.Containment;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using Npgsql;
using NUnit.Framework;
using static BankGateway.Pipeline.Tests.Pipeline.VoucherBuilder;

namespace BankGateway.Pipeline.Tests.Invariants;

/// <summary>
/// The auditor's findings of issue 8, one test each, through the real pipeline on a real PostgreSQL: every
/// one of them failed on the code before the fix (paid twice, a blocked channel, a wrapped sum, a file the
/// bank re-signed as found, a voucher never cleared, an unknown account status that paid).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class InvariantFindingsTests
{
    private static readonly DateOnly Day = new(2024, 9, 30);
    private GatewayHarness _gateway = null!;
    private readonly Sm2PrivateKey _finance = Sm2KeyGenerator.Generate();
    private int _run;

    [OneTimeSetUp]
    public async Task Start()
    {
        var server = await TestDatabase.GetSharedAsync();
        _gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"));
        var built = LargeVoucher.Write(Path.Combine(_gateway.Work, "unused"), Path.Combine(_gateway.Work, "data"), 60, _finance, accountMultiple: 1);
        await _gateway.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);
        await _gateway.Get<CatalogueImport>().ImportAsync(built.CataloguePath, CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _gateway.DisposeAsync();

    private string NewInbox() => Path.Combine(_gateway.Work, $"inbox{++_run}");

    private async Task<RunReport> RunAsync(DateOnly day, params VoucherBuilder[] vouchers)
    {
        string inbox = NewInbox();
        Directory.CreateDirectory(inbox);
        foreach (var v in vouchers)
        {
            v.WriteTo(inbox, _finance);
            // Taken in arrival order: make the order the test's.
            foreach (var f in Directory.GetFiles(inbox, $"*{v.VoucherNo}*")) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddMinutes(-100 + _run + Array.IndexOf(vouchers, v)));
        }
        return await _gateway.RunOnceAsync(inbox, _finance.PublicKey, day);
    }

    private Task<long> PaidAsync(string voucherNo) =>
        _gateway.ScalarAsync<long>("select paid_count::bigint from vouchers where voucher_no = @voucherNo", new { voucherNo });

    [TestCase("\u3000", "2024-01", TestName = "A later voucher whose subsidy name ends in U+3000 pays nobody twice (F07)")]
    [TestCase("\u00A0", "2024-02", TestName = "A later voucher whose subsidy name ends in a no-break space pays nobody twice (F07)")]
    [TestCase(" ", "2024-03", TestName = "A later voucher whose subsidy name ends in a plain space pays nobody twice (F07)")]
    public async Task Unicode_variant_of_the_subsidy_name_is_the_same_payment(string space, string period)
    {
        string first = $"ZFU{_run}A", second = $"ZFU{_run}B";
        await RunAsync(Day, new VoucherBuilder(first, Line(1, 1, period: period), Line(2, 2, period: period)));
        var report = await RunAsync(Day, new VoucherBuilder(second, Line(1, 1, period: period), Line(2, 2, period: period))
        {
            Voucher = v => v with { SubsidyName = v.SubsidyName + space, DeptName = space + v.DeptName },
        });
        Assert.That(report.Intake.Single().Kind, Is.EqualTo(IntakeKind.Accepted), report.Intake.Single().Detail);
        Assert.That(await PaidAsync(first), Is.EqualTo(2));
        Assert.That(await PaidAsync(second), Is.Zero, "the same people, subsidy and period were paid again");
        Assert.That(await _gateway.ScalarAsync<long>(
            "select count(*) from line_failures f join vouchers v on v.id = f.voucher_id where v.voucher_no = @second and f.code = 7", new { second }), Is.EqualTo(2));
    }

    [Test]
    public async Task Full_width_digits_in_the_period_are_the_same_period()
    {
        await RunAsync(Day, new VoucherBuilder("ZFW01", Line(1, 3, period: "2024-06")));
        var report = await RunAsync(Day, new VoucherBuilder("ZFW02", Line(1, 3, period: "2024-06"))
        {
            Xml = x => x.Replace("<Period>2024-06</Period>", "<Period>２０２４-０６</Period>", StringComparison.Ordinal),
        });
        Assert.That(report.Intake.Single().Kind, Is.EqualTo(IntakeKind.Accepted), report.Intake.Single().Detail);
        Assert.That(await PaidAsync("ZFW02"), Is.Zero);
    }

    [Test]
    public async Task Nul_byte_in_a_cell_is_R06_and_the_clean_set_behind_it_is_paid()
    {
        var report = await RunAsync(Day,
            new VoucherBuilder("ZFN01", Line(1, 4)) { Csv = c => c.Replace(LargeVoucher.Name(4), LargeVoucher.Name(4) + "\0", StringComparison.Ordinal) },
            new VoucherBuilder("ZFN02", Line(1, 5)));
        var outcomes = report.Intake.ToDictionary(o => o.VoucherNo);
        Assert.That((outcomes["ZFN01"].Kind, outcomes["ZFN01"].Code), Is.EqualTo((IntakeKind.Rejected, RejectCode.R06)));
        Assert.That(outcomes["ZFN01"].Detail, Does.Contain("U+0000").And.Contain("line 2"));
        Assert.That(outcomes["ZFN02"].Kind, Is.EqualTo(IntakeKind.Accepted));
        Assert.That(report.Problems.Concat(report.Quarantined), Is.Empty);
        Assert.That(await PaidAsync("ZFN02"), Is.EqualTo(1));
    }

    [TestCase("\u200B", RejectCode.R06, TestName = "A zero-width space in a list cell is R06")]
    [TestCase("\u0007", RejectCode.R06, TestName = "A BEL control character in a list cell is R06")]
    public async Task Invisible_or_control_character_in_a_cell_is_refused(string bad, RejectCode code)
    {
        string no = $"ZFC{_run}";
        var report = await RunAsync(Day, new VoucherBuilder(no, Line(1, 6)) { Csv = c => c.Replace(LargeVoucher.SubsidyName, LargeVoucher.SubsidyName + bad, StringComparison.Ordinal) });
        Assert.That(report.Intake.Single().Code, Is.EqualTo(code));
    }

    [Test]
    public async Task Zero_width_joiner_in_a_voucher_field_is_R05()
    {
        var report = await RunAsync(Day, new VoucherBuilder("ZFC90", Line(1, 6)) { Voucher = v => v with { DeptName = v.DeptName + "\u200D" } });
        Assert.That(report.Intake.Single().Code, Is.EqualTo(RejectCode.R05));
        Assert.That(report.Intake.Single().Detail, Does.Contain("DeptName").And.Contain("U+200D"));
    }

    [Test]
    public async Task Header_cell_of_long_4_byte_characters_gives_a_readable_R06_detail()
    {
        string emoji = string.Concat(Enumerable.Repeat("\U0001F600", 30));
        var report = await RunAsync(Day, new VoucherBuilder("ZFH01", Line(1, 7)) { Csv = c => c.Replace("姓名", "姓" + emoji, StringComparison.Ordinal) });
        var outcome = report.Intake.Single();
        Assert.That(outcome.Code, Is.EqualTo(RejectCode.R06));
        string detail = outcome.Detail ?? "";
        Assert.That(System.Text.Unicode.Utf8.FromUtf16(detail, new byte[detail.Length * 4 + 4], out _, out _, replaceInvalidSequences: false),
            Is.EqualTo(System.Buffers.OperationStatus.Done), "no lone surrogate in the detail");
        Assert.That(File.Exists(Path.Combine(_gateway.Outbox, "RJ_522726_ZFH01.xml.sig")), Is.True, "the RJ_ was written and signed");
    }

    [Test]
    public async Task List_of_13_digit_amounts_whose_sum_wraps_64_bits_onto_PayAmt_is_R03()
    {
        const int Lines = 18_447;
        const long Each = 999_999_999_999_999; // 9,999,999,999,999.99 yuan: 13 integer digits
        long wrapped = unchecked(Lines * Each);
        Assert.That(wrapped, Is.InRange(1, Money.MaxFen), "the wrapped sum is a valid PayAmt");
        var lines = Enumerable.Range(1, Lines).Select(i => Line(i, 1000 + i, amount: new Money(Each).ToString())).ToArray();
        var report = await RunAsync(Day,
            new VoucherBuilder("ZFO01", lines) { Voucher = v => v with { PayAmt = new Money(wrapped) } },
            new VoucherBuilder("ZFO02", Line(1, 8)));
        var outcomes = report.Intake.ToDictionary(o => o.VoucherNo);
        Assert.That(outcomes["ZFO01"].Code, Is.EqualTo(RejectCode.R03), outcomes["ZFO01"].Detail);
        Assert.That(await PaidAsync("ZFO02"), Is.EqualTo(1), "posting goes on");
    }

    [Test]
    public async Task An_account_status_the_contract_does_not_name_cannot_be_stored()
    {
        var e = Assert.ThrowsAsync<PostgresException>(async () =>
            await _gateway.ScalarAsync<int>("update accounts set status = 9 where account_no = @a returning 1", new { a = LargeVoucher.Account(9) }));
        Assert.That(e!.ConstraintName, Is.EqualTo("accounts_status_known"));
    }

    [Test]
    public async Task Voucher_that_fails_while_posting_is_quarantined_the_others_are_paid_and_release_resumes_it()
    {
        string poisoned = LargeVoucher.Account(10);
        await _gateway.ScalarAsync<int>($"""
            create or replace function test_poison() returns trigger language plpgsql as $$
            begin if new.account_no = '{poisoned}' then raise exception 'poisoned account'; end if; return new; end $$;
            create trigger test_poison before update on accounts for each row execute function test_poison();
            select 1
            """);
        RunReport report;
        try
        {
            report = await RunAsync(Day, new VoucherBuilder("ZFQ01", Line(1, 10)), new VoucherBuilder("ZFQ02", Line(1, 11)));
        }
        finally
        {
            await _gateway.ScalarAsync<int>("drop trigger test_poison on accounts; select 1");
        }
        Assert.That(report.Quarantined, Has.Count.EqualTo(1), "run-once exits 1: something stayed quarantined");
        Assert.That(await _gateway.ScalarAsync<string>("select status from vouchers where voucher_no = 'ZFQ01'"), Is.EqualTo("HELD"));
        Assert.That(await PaidAsync("ZFQ02"), Is.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(_gateway.Outbox, "HD_522726_ZFQ02.xml")), Is.True, "the other voucher was answered");

        var held = (await _gateway.Get<Quarantine>().OpenAsync(CancellationToken.None)).Single(h => h.VoucherNo == "ZFQ01");
        Assert.That(held.Error, Does.Contain("poisoned account"));
        Assert.That(await _gateway.Get<Quarantine>().ReleaseAsync(held.Id, "tester", CancellationToken.None), Is.True);
        var again = await RunAsync(Day);
        Assert.That(again.Quarantined, Is.Empty);
        Assert.That(await PaidAsync("ZFQ01"), Is.EqualTo(1));
    }

    [Test]
    public async Task Result_file_edited_on_disk_without_its_sig_is_regenerated_on_re_delivery_never_signed_as_found()
    {
        var voucher = new VoucherBuilder("ZFE01", Line(1, 12), Line(2, 13));
        string inbox = NewInbox();
        voucher.WriteTo(inbox, _finance);
        string copy = inbox + "-copy";
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(inbox)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        await _gateway.RunOnceAsync(inbox, _finance.PublicKey, Day);

        string rs = Path.Combine(_gateway.Outbox, "RS_522726_ZFE01.csv");
        string recorded = await _gateway.ScalarAsync<string>("select sm3 from outbound_files where file_name = 'RS_522726_ZFE01.csv'");
        var original = File.ReadAllBytes(rs);
        var text = File.ReadAllText(rs);
        File.WriteAllText(rs, text.Replace("成功", "失败", StringComparison.Ordinal)); // same length in UTF-8
        Assert.That(new FileInfo(rs).Length, Is.EqualTo(original.Length));
        File.Delete(rs + ".sig");

        var report = await _gateway.RunOnceAsync(copy, _finance.PublicKey, Day);
        Assert.That(report.Intake.Single().Kind, Is.EqualTo(IntakeKind.Redelivered));
        Assert.That(File.ReadAllBytes(rs), Is.EqualTo(original), "regenerated from the database");
        Assert.That(Sm3.HashFileHex(rs), Is.EqualTo(recorded));
        Assert.That(OpensslCheck.Verify(rs, SampleFiles.Key("bank_public.pem")).Ok, Is.True);
    }

    [Test]
    public async Task Voucher_completed_after_its_days_QS_is_cleared_in_the_next_one_and_every_paid_voucher_in_exactly_one()
    {
        var day = new DateOnly(2024, 10, 14);
        await RunAsync(day, new VoucherBuilder("ZFL01", Line(1, 20)));
        string outbox = Path.Combine(_gateway.Work, "qs");
        var clearing = _gateway.Get<ClearingService>();
        var first = await clearing.RunAsync(day, outbox, CancellationToken.None);
        string qsPath = first.Single().Path;
        Assert.That(Listed(qsPath), Does.Contain("ZFL01"));
        var qsBytes = File.ReadAllBytes(qsPath);

        await RunAsync(day, new VoucherBuilder("ZFL02", Line(1, 21))); // late: same business day, after the QS_
        var rerun = await clearing.RunAsync(day, outbox, CancellationToken.None);
        Assert.That(rerun.Single().New, Is.False);
        Assert.That(File.ReadAllBytes(qsPath), Is.EqualTo(qsBytes), "a QS_ already written is never rewritten");

        Assert.That(Listed(qsPath), Does.Not.Contain("ZFL02"));
        var next = await clearing.RunAsync(day.AddDays(1), outbox, CancellationToken.None);
        using (var stream = File.OpenRead(next.Single().Path))
        {
            var qs = ClearingRequestXml.Read(stream, Path.GetFileName(next.Single().Path));
            Assert.That(qs.Lines.Select(l => (l.VoucherNo, l.BusinessDate)), Is.EqualTo(new[] { ("ZFL02", day) }));
            Assert.That(qs.TreasuryAmt + qs.GrainFundAmt, Is.EqualTo(qs.TotalAmt));
        }
        Assert.That(await _gateway.ScalarAsync<long>("""
            select count(*) from vouchers v where v.status = 'COMPLETED' and v.paid_fen > 0 and v.business_date <= @d
              and (select count(*) from clearing_lines c where c.voucher_id = v.id) <> 1
            """, new { d = day.AddDays(1) }), Is.Zero, "every paid voucher up to the day is in exactly one QS_");

        // A QS_ edited on disk (same length) with its .sig removed is regenerated, not signed as found.
        File.WriteAllText(qsPath, File.ReadAllText(qsPath).Replace("ZFL01", "ZFL99", StringComparison.Ordinal));
        File.Delete(qsPath + ".sig");
        await clearing.RunAsync(day, outbox, CancellationToken.None);
        Assert.That(File.ReadAllBytes(qsPath), Is.EqualTo(qsBytes));
        Assert.That(OpensslCheck.Verify(qsPath, SampleFiles.Key("bank_public.pem")).Ok, Is.True);
    }

    private static List<string> Listed(string qsPath)
    {
        using var stream = File.OpenRead(qsPath);
        return ClearingRequestXml.Read(stream, Path.GetFileName(qsPath)).Lines.Select(l => l.VoucherNo).ToList();
    }
}
