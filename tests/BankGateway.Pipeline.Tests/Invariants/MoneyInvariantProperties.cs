using BankGateway.Worker.Hosting;
using System.Globalization;
using BankGateway.Domain;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using CsCheck;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Invariants;

/// <summary>
/// Contract §12–§13 as properties over the real pipeline on PostgreSQL, the way a simulation test works: a
/// seeded generator (CsCheck) produces a sequence of business days, each with a few signed sets carrying
/// random mutations (Unicode variants of identifying fields, control bytes, boundary and huge amounts,
/// duplicated and reordered rows, truncated and swapped detail files, wrong totals, identical re-deliveries of
/// earlier sets after their RS_ was edited on disk); every case runs run-once and the day's clearing, then
/// checks every invariant over the whole database. State accumulates across cases on purpose: the invariants
/// are global. The seed is printed; the same seed replays the same sequence.
/// </summary>
/// <remarks>
/// Cases: <c>BANKGATEWAY_PROPERTY_CASES</c> (default 300, the CI run); seed: <c>BANKGATEWAY_PROPERTY_SEED</c>.
/// A long run: <c>BANKGATEWAY_PROPERTY_CASES=5000 dotnet test -c Release --filter MoneyInvariantProperties</c>.
/// </remarks>
[TestFixture]
[NonParallelizable]
public sealed class MoneyInvariantProperties
{
    private const int People = 80;      // accounts exist for 1..60; 61..80 have none (F08)
    private const int WithAccounts = 60;

    private GatewayHarness _gateway = null!;
    private readonly Sm2PrivateKey _finance = Sm2KeyGenerator.Generate();
    private Sm2PublicKey _bankPublic = null!;
    private readonly List<string> _sent = [];   // folders holding a copy of every set sent, for re-deliveries
    private int _serial;

    private enum Header { Plain, Ideographic, NoBreak, Ascii, FullWidthPeriod, ZeroWidth }

    private enum Cell { Plain, IdeographicSubsidy, FullWidthId, LowerX, NulName, BelRemark, ZeroWidthDept, LineBreakRemark }

    private enum FileFault { None, Truncated, SwappedDetail, PayAmtOff, CountOff, TamperAndRedeliver, Redeliver }

    private sealed record LineSpec(int Person, string Amount, Cell Cell);

    private sealed record SetSpec(int Period, Header Header, bool Duplicate, bool Reverse, FileFault Fault, LineSpec[] Lines);

    private sealed record DayCase(int DayStep, SetSpec[] Sets);

    private static readonly Gen<string> AmountGen = Gen.Frequency(
        (12, Gen.Int[1, 99_999].Select(f => new Money(f).ToString())),
        (1, Gen.Const("0.01")),
        (1, Gen.Const("5000.00")),        // the catalogue cap exactly: paid
        (1, Gen.Const("5000.01")),        // one fen over the cap: F04
        (1, Gen.Const("9999999999999.99")), // 13 integer digits: F04 (cap), still summed exactly
        (1, Gen.Const("0.00")),
        (1, Gen.Const("12.5")));          // one decimal: F04, counts for R03 as 12.50

    private static readonly Gen<LineSpec> LineGen =
        Gen.Select(Gen.Int[1, People], AmountGen, Gen.Frequency((14, Gen.Const(Cell.Plain)), (6, Gen.Enum<Cell>())),
            (p, a, c) => new LineSpec(p, a, c));

    private static readonly Gen<SetSpec> SetGen =
        Gen.Select(Gen.Int[1, 4], Gen.Frequency((6, Gen.Const(Header.Plain)), (6, Gen.Enum<Header>())), Gen.Bool, Gen.Bool,
            Gen.Frequency((10, Gen.Const(FileFault.None)), (6, Gen.Enum<FileFault>())), LineGen.Array[1, 6],
            (period, header, dup, rev, fault, lines) => new SetSpec(period, header, dup, rev, fault, lines));

    private static readonly Gen<DayCase> CaseGen = Gen.Select(Gen.Int[0, 1], SetGen.Array[1, 3], (step, sets) => new DayCase(step, sets));

    [OneTimeSetUp]
    public async Task Start()
    {
        var server = await TestDatabase.GetSharedAsync();
        _gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"));
        _bankPublic = Sm2PublicKey.Load(SampleFiles.Key("bank_public.pem"));
        var built = LargeVoucher.Write(Path.Combine(_gateway.Work, "unused"), Path.Combine(_gateway.Work, "data"), WithAccounts, _finance, accountMultiple: 1);
        await _gateway.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);
        await _gateway.Get<CatalogueImport>().ImportAsync(built.CataloguePath, CancellationToken.None);
        await _gateway.ScalarAsync<int>("create table test_opening as select account_no, balance_fen from accounts; select 1");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _gateway.DisposeAsync();

    [Test]
    public async Task Every_invariant_holds_after_every_generated_day()
    {
        int cases = int.TryParse(Environment.GetEnvironmentVariable("BANKGATEWAY_PROPERTY_CASES"), out var n) ? n : 300;
        ulong seed = ulong.TryParse(Environment.GetEnvironmentVariable("BANKGATEWAY_PROPERTY_SEED"), out var s) ? s : (ulong)Random.Shared.NextInt64();
        TestContext.Progress.WriteLine($"MoneyInvariantProperties: {cases} cases, seed {seed} (replay: BANKGATEWAY_PROPERTY_SEED={seed})");
        var pcg = new PCG(7, seed);
        var day = new DateOnly(2024, 9, 2);
        for (int i = 0; i < cases; i++)
        {
            var c = CaseGen.Generate(pcg, null, out _);
            day = day.AddDays(c.DayStep);
            try
            {
                await RunCaseAsync(c, day);
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} of seed {seed} (replay: BANKGATEWAY_PROPERTY_SEED={seed}) failed on {day:yyyy-MM-dd}: {e.Message}\n{c}\n{e}");
            }
        }
    }

    private async Task RunCaseAsync(DayCase c, DateOnly day)
    {
        string inbox = Path.Combine(_gateway.Work, $"in{++_serial}");
        Directory.CreateDirectory(inbox);
        var expected = new List<string>(); // voucher numbers that must be answered or quarantined
        var written = new List<(string No, string Detail)>();
        foreach (var set in c.Sets)
        {
            if (set.Fault is FileFault.Redeliver or FileFault.TamperAndRedeliver && _sent.Count > 0)
            {
                string earlier = _sent[(int)((uint)set.Lines[0].Person * 2654435761u % (uint)_sent.Count)];
                if (set.Fault == FileFault.TamperAndRedeliver) TamperWithResult(Path.GetFileName(earlier));
                foreach (var f in Directory.GetFiles(earlier)) File.Copy(f, Path.Combine(inbox, Path.GetFileName(f)), overwrite: true);
                expected.Add(Path.GetFileName(earlier));
                continue;
            }
            string no = $"PB{_serial:D5}{expected.Count}";
            var builder = Build(no, set);
            builder.WriteTo(inbox, _finance);
            string detail = Path.Combine(inbox, FileNames.IssuanceList(LargeVoucher.AdmDivCode, no));
            written.Add((no, detail));
            ApplyFileFault(set.Fault, detail, written);
            if (set.Fault is FileFault.None or FileFault.Redeliver or FileFault.TamperAndRedeliver)
            {
                string copy = Path.Combine(_gateway.Work, "sent", no);
                Directory.CreateDirectory(copy);
                foreach (var f in Directory.GetFiles(inbox, $"*_{no}*")) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
                _sent.Add(copy);
            }
            expected.Add(no);
        }

        var report = await _gateway.RunOnceAsync(inbox, _finance.PublicKey, day);
        await _gateway.Get<ClearingService>().RunAsync(day, _gateway.Outbox, CancellationToken.None);
        await CheckInvariantsAsync(report, expected, day);
    }

    private VoucherBuilder Build(string no, SetSpec set)
    {
        string period = $"2024-0{set.Period}";
        var lines = set.Lines.Select((l, i) => MakeLine(i + 1, l, period)).ToList();
        if (set.Duplicate) lines.Add(lines[0] with { SeqNo = (lines.Count + 1).ToString(CultureInfo.InvariantCulture) }); // F06
        if (set.Reverse) lines.Reverse();
        return new VoucherBuilder(no, [.. lines])
        {
            Voucher = v => WithHeader(WithTotals(v, set.Fault), set.Header),
            Xml = x => set.Header == Header.FullWidthPeriod ? x.Replace($"<Period>{period}</Period>", $"<Period>{ToFullWidth(period)}</Period>", StringComparison.Ordinal) : x,
        };
    }

    private static Voucher WithTotals(Voucher v, FileFault fault) => fault switch
    {
        FileFault.PayAmtOff => v with { PayAmt = v.PayAmt + new Money(1) },   // R03
        FileFault.CountOff => v with { DetailCount = v.DetailCount + 1 },     // R03
        _ => v,
    };

    private static Voucher WithHeader(Voucher v, Header header) => header switch
    {
        Header.Ideographic => v with { SubsidyName = v.SubsidyName + "\u3000" },
        Header.NoBreak => v with { DeptName = "\u00A0" + v.DeptName },
        Header.Ascii => v with { DeptName = v.DeptName + " ", SubsidyName = " " + v.SubsidyName },
        Header.ZeroWidth => v with { SubsidyName = v.SubsidyName.Insert(2, "\u200B") }, // R05
        _ => v,
    };

    private static IssuanceLine MakeLine(int seq, LineSpec l, string period)
    {
        var line = VoucherBuilder.Line(seq, l.Person, amount: l.Amount, period: period);
        return l.Cell switch
        {
            Cell.IdeographicSubsidy => line with { SubsidyName = line.SubsidyName + "\u3000" },
            Cell.FullWidthId => line with { IdNumber = ToFullWidth(line.IdNumber) },
            Cell.LowerX => line with { IdNumber = line.IdNumber.ToLowerInvariant() },
            Cell.NulName => line with { Name = line.Name + "\0" },               // R06
            Cell.BelRemark => line with { Remark = "备\u0007注" },                // R06
            Cell.ZeroWidthDept => line with { DeptName = "\u200D" + line.DeptName }, // R06
            Cell.LineBreakRemark => line with { Remark = "两行\n备注" },           // R06
            _ => line,
        };
    }

    private static string ToFullWidth(string s) => new(s.Select(ch => ch is >= '0' and <= '9' ? (char)(ch - '0' + '０') : ch).ToArray());

    private static void ApplyFileFault(FileFault fault, string detail, List<(string No, string Detail)> written)
    {
        switch (fault)
        {
            case FileFault.Truncated:
                var bytes = File.ReadAllBytes(detail);
                File.WriteAllBytes(detail, bytes[..^Math.Min(7, bytes.Length - 1)]); // R02
                break;
            case FileFault.SwappedDetail when written.Count > 1:
                File.Copy(written[^2].Detail, detail, overwrite: true); // another set's list under this name: R02
                break;
        }
    }

    private void TamperWithResult(string voucherNo)
    {
        string rs = Path.Combine(_gateway.Outbox, $"RS_{LargeVoucher.AdmDivCode}_{voucherNo}.csv");
        if (!File.Exists(rs)) return;
        var text = File.ReadAllText(rs);
        File.WriteAllText(rs, text.Contains("成功", StringComparison.Ordinal) ? text.Replace("成功", "失败", StringComparison.Ordinal) : text.Replace("失败", "成功", StringComparison.Ordinal));
        File.Delete(rs + ".sig");
    }

    private async Task CheckInvariantsAsync(RunReport report, List<string> expected, DateOnly day)
    {
        // Every set is answered (accepted and answered, rejected with RJ_, or acknowledged again) or quarantined.
        foreach (var no in expected.Distinct())
        {
            bool answered = report.Intake.Any(o => o.VoucherNo == no) || report.Quarantined.Any(q => q.Contains(no, StringComparison.Ordinal));
            Assert.That(answered, Is.True, $"set {no} was neither answered nor quarantined");
            bool file = File.Exists(Path.Combine(_gateway.Outbox, $"HD_{LargeVoucher.AdmDivCode}_{no}.xml"))
                        || File.Exists(Path.Combine(_gateway.Outbox, $"RJ_{LargeVoucher.AdmDivCode}_{no}.xml"));
            Assert.That(file || report.Quarantined.Count > 0, Is.True, $"set {no} has no HD_ or RJ_");
        }
        Assert.That(report.Quarantined, Is.Empty, "nothing generated here is a fault of the machine");

        // One payment per person, subsidy and period, judged on canonical text independently of the F07 key column.
        Assert.That(await _gateway.ScalarAsync<long>("""
            select count(*) from (
                select upper(canonical_text(j.id_number)), canonical_text(v.dept_name), canonical_text(v.subsidy_name), canonical_text(v.period)
                from journal j join vouchers v on v.id = j.voucher_id
                where j.kind = 'P' and j.side = 'C'
                group by 1, 2, 3, 4 having count(*) > 1) twice
            """), Is.Zero, "a person was paid twice for one subsidy and period");

        // Balances = opening + credits, per account; journal debits = credits.
        Assert.That(await _gateway.ScalarAsync<long>("""
            select count(*) from accounts a join test_opening o using (account_no)
            where a.balance_fen <> o.balance_fen + coalesce((select sum(j.amount_fen) from journal j
                                                              where j.kind = 'P' and j.side = 'C' and j.account_no = a.account_no), 0)
            """), Is.Zero, "an account balance differs from opening + credits");
        Assert.That(await _gateway.ScalarAsync<long>("""
            select coalesce(sum(case side when 'D' then amount_fen else -amount_fen end), 0)::bigint from journal
            """), Is.Zero, "journal debits differ from credits");

        // Every file the bank signed has the recorded SM3 and a valid signature.
        foreach (var (name, sm3) in await _gateway.QueryAsync<(string, string)>("select file_name, sm3 from outbound_files"))
        {
            string path = Path.Combine(_gateway.Outbox, name);
            if (!File.Exists(path)) continue;
            Assert.That(Sm3.HashFileHex(path), Is.EqualTo(sm3), $"{name} differs from its recorded SM3");
            Assert.That(SignatureFile.Verify(path, _bankPublic).IsValid, Is.True, $"{name}.sig");
        }

        // Every paid voucher up to the day is in exactly one QS_ (the key of clearing_lines makes "several"
        // impossible), except one completed after its bureau's QS_ for the day was written: that one waits for
        // the next date's request (contract §13). A QS_'s lines add up.
        Assert.That(await _gateway.ScalarAsync<long>("""
            select count(*) from vouchers v where v.status = 'COMPLETED' and v.paid_fen > 0 and v.business_date <= @day
              and not exists (select 1 from clearing_lines c where c.voucher_id = v.id)
              and not (v.business_date = @day and exists (select 1 from clearing_requests r where r.adm_div_code = v.adm_div_code and r.clear_date = @day))
            """, new { day }), Is.Zero, "a paid voucher is in no QS_");
        Assert.That(await _gateway.ScalarAsync<long>("""
            select count(*) from vouchers v where v.status = 'COMPLETED' and v.paid_fen > 0 and v.business_date < @day
              and not exists (select 1 from clearing_lines c where c.voucher_id = v.id)
            """, new { day }), Is.Zero, "a paid voucher of an earlier day was not caught up");
        Assert.That(await _gateway.ScalarAsync<long>("""
            select count(*) from clearing_requests r
            where r.total_fen <> (select coalesce(sum(v.paid_fen), 0) from clearing_lines c join vouchers v on v.id = c.voucher_id
                                  where c.adm_div_code = r.adm_div_code and c.clear_date = r.clear_date)
            """), Is.Zero, "a QS_ total differs from its lines");
        // Per voucher: paid + failed = PayAmt, to the fen.
        Assert.That(await _gateway.ScalarAsync<long>(
            "select count(*) from vouchers where status = 'COMPLETED' and paid_fen + failed_fen <> pay_amt_fen"), Is.Zero, "paid + failed differs from PayAmt");
    }
}
