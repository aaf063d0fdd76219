using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Statements;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Reconciliation;

/// <summary>The pure parts of the statements: periods, the totals rule of DZ_, the 明白条 CSV's grouping and escaping.</summary>
[TestFixture]
public sealed class StatementFormatTests
{
    [TestCase("2024-09", true, "2024-09-01", "2024-09-30", "202409")]
    [TestCase("2024-02", true, "2024-02-01", "2024-02-29", "202402")]
    [TestCase("2024-13", false, null, null, null)]
    [TestCase("2024-9", false, null, null, null)]
    [TestCase("24-09", false, null, null, null)]
    [TestCase("2024/09", false, null, null, null)]
    public void Months_parse_exactly(string text, bool ok, string? first, string? last, string? token)
    {
        Assert.That(StatementPeriod.TryParseMonth(text, out var p), Is.EqualTo(ok));
        if (!ok) return;
        Assert.That((p.First.ToString("yyyy-MM-dd"), p.Last.ToString("yyyy-MM-dd"), p.FileToken, p.Label), Is.EqualTo((first, last, token, text)));
    }

    [TestCase("2024-Q1", true, "2024-01-01", "2024-03-31", "2024Q1")]
    [TestCase("2024-Q4", true, "2024-10-01", "2024-12-31", "2024Q4")]
    [TestCase("2024-Q5", false, null, null, null)]
    [TestCase("2024Q1", false, null, null, null)]
    [TestCase("2024-Q0", false, null, null, null)]
    public void Quarters_parse_exactly(string text, bool ok, string? first, string? last, string? token)
    {
        Assert.That(StatementPeriod.TryParseQuarter(text, out var p), Is.EqualTo(ok));
        if (!ok) return;
        Assert.That((p.First.ToString("yyyy-MM-dd"), p.Last.ToString("yyyy-MM-dd"), p.FileToken), Is.EqualTo((first, last, token)));
    }

    [Test]
    public void A_period_ends_when_china_today_is_past_its_last_day()
    {
        var sep = StatementPeriod.Month(2024, 9);
        Assert.That(sep.HasEnded(new DateOnly(2024, 9, 30)), Is.False);
        Assert.That(sep.HasEnded(new DateOnly(2024, 10, 1)), Is.True);
        Assert.That(StatementPeriod.TryParseYear("2024", out var y) && y.Last == new DateOnly(2024, 12, 31), Is.True);
        Assert.That(StatementPeriod.Month(2024, 12).Next(), Is.EqualTo(StatementPeriod.Month(2025, 1)));
        Assert.That(StatementPeriod.Containing(PeriodKind.Quarter, new DateOnly(2024, 8, 30)), Is.EqualTo(StatementPeriod.Quarter(2024, 3)));
    }

    private static StatementLine Line(string no, int day, string pay, string paid, string failed, string returned = "0.00",
        FundChannel channel = FundChannel.TREASURY) =>
        new(no, new DateOnly(2024, 9, day), channel, Money.Parse(pay), Money.Parse(paid), Money.Parse(failed), Money.Parse(returned),
            Money.Parse(failed).IsPositive ? new DateOnly(2024, 10, 8) : null, new DateOnly(2024, 9, day));

    [Test]
    public void Totals_are_built_from_the_lines_in_order_and_a_tampered_total_is_never_written()
    {
        var s = ReconciliationStatement.FromLines("522726", StatementPeriod.Month(2024, 9),
            [Line("B", 30, "10.00", "7.00", "3.00", "1.00"), Line("A", 30, "5.00", "5.00", "0.00", channel: FundChannel.GRAIN_FUND), Line("Z", 2, "1.00", "0.50", "0.50")],
            Money.Parse("12.50"));
        Assert.That(s.Lines.Select(l => l.VoucherNo), Is.EqualTo(new[] { "Z", "A", "B" }));
        Assert.That((s.ReceivedCount, s.ReceivedAmt.ToString(), s.PaidAmt.ToString(), s.FailedAmt.ToString(), s.ReturnedAmt.ToString(),
            s.PendingReturnAmt.ToString(), s.TreasuryAmt.ToString(), s.GrainFundAmt.ToString()),
            Is.EqualTo((3, "16.00", "12.50", "3.50", "1.00", "2.50", "7.50", "5.00")));

        var tampered = s with { PaidAmt = Money.Parse("12.51") };
        Assert.Throws<StatementTotalsException>(() => ReconciliationStatementXml.Write(tampered, new MemoryStream()));
        Assert.Throws<StatementTotalsException>(() => ReconciliationStatement.FromLines("522726", StatementPeriod.Month(2024, 9),
            [Line("A", 30, "10.00", "7.00", "2.00")], Money.Zero), "PaidAmt + FailedAmt must be PayAmt");
        Assert.Throws<StatementTotalsException>(() => ReconciliationStatement.FromLines("522726", StatementPeriod.Month(2024, 8),
            [Line("A", 30, "10.00", "10.00", "0.00")], Money.Zero), "a line outside the period");
        var huge = new Money(long.MaxValue / 2 + 1);
        Assert.Throws<OverflowException>(() => ReconciliationStatement.FromLines("522726", StatementPeriod.Month(2024, 9),
            [new StatementLine("A", new DateOnly(2024, 9, 1), FundChannel.TREASURY, huge, huge, Money.Zero, Money.Zero, null, null),
             new StatementLine("B", new DateOnly(2024, 9, 1), FundChannel.TREASURY, huge, huge, Money.Zero, Money.Zero, null, null)], Money.Zero));
    }

    [Test]
    public void Beneficiary_csv_groups_by_id_escapes_formula_cells_and_totals_each_person_once()
    {
        var q3 = StatementPeriod.Quarter(2024, 3);
        BeneficiaryCredit C(string name, string id, string amount, int month, string voucher, int row) =>
            new(name, id, "=HYPERLINK(\"x\")", Money.Parse(amount), new DateOnly(2024, month, 15), voucher, row);
        var statement = BeneficiaryStatement.Build("522726", q3,
        [
            C("@李四", "522726199001011234", "20.00", 9, "V2", 1),
            C("-王五", "52272619800101123X", "5.00", 8, "V1", 3),
            C("@李四", "522726199001011234", "10.00", 7, "V9", 2),
            C("+张三", "522726197001011230", "1.50", 9, "V1", 1),
        ]);
        var buffer = new MemoryStream();
        BeneficiaryStatementCsv.Write(statement, buffer);
        string text = Encoding.UTF8.GetString(buffer.ToArray());
        Assert.That(text, Is.EqualTo(
            "姓名,证件号码,补贴项目名称,补贴金额,补贴发放时间,补贴合计\r\n" +
            "'+张三,522726197001011230,\"'=HYPERLINK(\"\"x\"\")\",1.50,2024-09-15,1.50\r\n" +
            "'-王五,52272619800101123X,\"'=HYPERLINK(\"\"x\"\")\",5.00,2024-08-15,5.00\r\n" +
            "'@李四,522726199001011234,\"'=HYPERLINK(\"\"x\"\")\",10.00,2024-07-15,\r\n" +
            "'@李四,522726199001011234,\"'=HYPERLINK(\"\"x\"\")\",20.00,2024-09-15,30.00\r\n"));
        Assert.That((statement.Total.ToString(), statement.People), Is.EqualTo(("36.50", 3)));
        Assert.That(BeneficiaryStatementCsv.FileName("522726", q3), Is.EqualTo("MB_522726_2024Q3.csv"));
        Assert.That(ReconciliationStatementXml.FileName("522726", StatementPeriod.OfYear(2024)), Is.EqualTo("DZ_522726_2024.xml"));
        Assert.Throws<StatementTotalsException>(() => BeneficiaryStatement.Build("522726", q3, [C("a", "1", "1.00", 10, "V", 1)]), "a credit outside the quarter");
    }
}
