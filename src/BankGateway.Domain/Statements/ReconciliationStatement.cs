using BankGateway.Domain.Vouchers;

namespace BankGateway.Domain.Statements;

/// <summary>
/// One voucher of a DZ_ statement (contract §14): an accepted voucher whose business date falls in the period.
/// <see cref="ReturnedAmt"/> is the part of <see cref="FailedAmt"/> returned by the end of the period; the rest is
/// pending. <see cref="ReturnDate"/> is the return's date (due, and executed on it) whenever something failed;
/// <see cref="ClearDate"/> the date of the QS_ that listed the voucher, if any has.
/// </summary>
public sealed record StatementLine(
    string VoucherNo,
    DateOnly BusinessDate,
    FundChannel FundChannel,
    Money PayAmt,
    Money PaidAmt,
    Money FailedAmt,
    Money ReturnedAmt,
    DateOnly? ReturnDate,
    DateOnly? ClearDate)
{
    /// <summary>Failed money not yet returned at the end of the period.</summary>
    public Money PendingReturnAmt => FailedAmt - ReturnedAmt;
}

/// <summary>A DZ_ statement's figures do not add up: never written.</summary>
public sealed class StatementTotalsException(string message) : Exception(message);

/// <summary>
/// The month-end / year-end reconciliation statement (日清月结, contract §14) of one bureau and one period. Every
/// total except <see cref="ClearedAmt"/> (the sum of the QS_ dated in the period, which may list vouchers of an
/// earlier period) is, by construction, the sum of its lines: build it with <see cref="FromLines"/>, and
/// <see cref="Check"/> re-proves every rule before a file is written. Sums are overflow-checked.
/// </summary>
public sealed record ReconciliationStatement(
    string AdmDivCode,
    StatementPeriod Period,
    int ReceivedCount,
    Money ReceivedAmt,
    Money PaidAmt,
    Money FailedAmt,
    Money ReturnedAmt,
    Money PendingReturnAmt,
    Money ClearedAmt,
    Money TreasuryAmt,
    Money GrainFundAmt,
    IReadOnlyList<StatementLine> Lines)
{
    /// <summary>Orders the lines (business date, then voucher number, ordinal), computes the totals and checks them.</summary>
    public static ReconciliationStatement FromLines(string admDivCode, StatementPeriod period, IEnumerable<StatementLine> lines, Money clearedAmt)
    {
        var ordered = lines.OrderBy(l => l.BusinessDate).ThenBy(l => l.VoucherNo, StringComparer.Ordinal).ToList();
        Money Sum(Func<StatementLine, Money> amount, Func<StatementLine, bool>? where = null) =>
            ordered.Where(where ?? (_ => true)).Aggregate(Money.Zero, (total, l) => total + amount(l));
        var statement = new ReconciliationStatement(admDivCode, period, ordered.Count,
            Sum(l => l.PayAmt), Sum(l => l.PaidAmt), Sum(l => l.FailedAmt), Sum(l => l.ReturnedAmt), Sum(l => l.PendingReturnAmt), clearedAmt,
            Sum(l => l.PaidAmt, l => l.FundChannel == FundChannel.TREASURY), Sum(l => l.PaidAmt, l => l.FundChannel == FundChannel.GRAIN_FUND),
            ordered);
        statement.Check();
        return statement;
    }

    /// <summary>Throws <see cref="StatementTotalsException"/> naming the first rule broken.</summary>
    public void Check()
    {
        void Fail(string why) => throw new StatementTotalsException($"DZ_{AdmDivCode} {Period.Label}: {why}");
        static Money Sum(IEnumerable<Money> amounts) => amounts.Aggregate(Money.Zero, (a, b) => a + b);

        StatementLine? previous = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var l in Lines)
        {
            if (!Period.Contains(l.BusinessDate)) Fail($"{l.VoucherNo}: business date {l.BusinessDate:yyyy-MM-dd} is outside the period");
            if (!seen.Add(l.VoucherNo)) Fail($"{l.VoucherNo} is listed twice");
            if (previous is not null && (previous.BusinessDate > l.BusinessDate || (previous.BusinessDate == l.BusinessDate && string.CompareOrdinal(previous.VoucherNo, l.VoucherNo) > 0)))
                Fail($"{l.VoucherNo} is out of order (business date, then voucher number)");
            if (l.PayAmt.Fen < 0 || l.PaidAmt.Fen < 0 || l.FailedAmt.Fen < 0 || l.ReturnedAmt.Fen < 0) Fail($"{l.VoucherNo}: a negative amount");
            if (l.PaidAmt + l.FailedAmt != l.PayAmt) Fail($"{l.VoucherNo}: PaidAmt {l.PaidAmt} + FailedAmt {l.FailedAmt} ≠ PayAmt {l.PayAmt}");
            if (l.ReturnedAmt > l.FailedAmt) Fail($"{l.VoucherNo}: ReturnedAmt {l.ReturnedAmt} exceeds FailedAmt {l.FailedAmt}");
            if (l.FailedAmt.IsPositive && l.ReturnDate is null) Fail($"{l.VoucherNo}: money failed but no return date");
            if (!l.FailedAmt.IsPositive && (l.ReturnDate is not null || l.ReturnedAmt.IsPositive)) Fail($"{l.VoucherNo}: nothing failed but a return is shown");
            previous = l;
        }

        void Total(string name, Money total, Money lines)
        {
            if (total != lines) Fail($"{name} {total} ≠ the sum of its lines {lines}");
        }
        if (ReceivedCount != Lines.Count) Fail($"ReceivedCount {ReceivedCount} ≠ {Lines.Count} lines");
        Total("ReceivedAmt", ReceivedAmt, Sum(Lines.Select(l => l.PayAmt)));
        Total("PaidAmt", PaidAmt, Sum(Lines.Select(l => l.PaidAmt)));
        Total("FailedAmt", FailedAmt, Sum(Lines.Select(l => l.FailedAmt)));
        Total("ReturnedAmt", ReturnedAmt, Sum(Lines.Select(l => l.ReturnedAmt)));
        Total("PendingReturnAmt", PendingReturnAmt, Sum(Lines.Select(l => l.PendingReturnAmt)));
        Total("TreasuryAmt", TreasuryAmt, Sum(Lines.Where(l => l.FundChannel == FundChannel.TREASURY).Select(l => l.PaidAmt)));
        Total("GrainFundAmt", GrainFundAmt, Sum(Lines.Where(l => l.FundChannel == FundChannel.GRAIN_FUND).Select(l => l.PaidAmt)));
        if (PaidAmt + FailedAmt != ReceivedAmt) Fail($"PaidAmt {PaidAmt} + FailedAmt {FailedAmt} ≠ ReceivedAmt {ReceivedAmt}");
        if (TreasuryAmt + GrainFundAmt != PaidAmt) Fail($"TreasuryAmt {TreasuryAmt} + GrainFundAmt {GrainFundAmt} ≠ PaidAmt {PaidAmt}");
        if (ReturnedAmt + PendingReturnAmt != FailedAmt) Fail($"ReturnedAmt {ReturnedAmt} + PendingReturnAmt {PendingReturnAmt} ≠ FailedAmt {FailedAmt}");
        if (ClearedAmt.Fen < 0) Fail("ClearedAmt is negative");
    }

    /// <inheritdoc />
    public bool Equals(ReconciliationStatement? other) =>
        other is not null && AdmDivCode == other.AdmDivCode && Period == other.Period && ReceivedCount == other.ReceivedCount
        && ReceivedAmt == other.ReceivedAmt && PaidAmt == other.PaidAmt && FailedAmt == other.FailedAmt && ReturnedAmt == other.ReturnedAmt
        && PendingReturnAmt == other.PendingReturnAmt && ClearedAmt == other.ClearedAmt && TreasuryAmt == other.TreasuryAmt
        && GrainFundAmt == other.GrainFundAmt && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(AdmDivCode, Period, ReceivedCount, ReceivedAmt, PaidAmt);
}
