namespace BankGateway.Domain.Statements;

/// <summary>One credit on a 明白条 (contract §16): who, which subsidy, how much, on which business date.</summary>
/// <param name="VoucherNo">The voucher that paid it (for ordering; not printed).</param>
/// <param name="RowNo">The line's position in its list (for ordering; not printed).</param>
public sealed record BeneficiaryCredit(string Name, string IdNumber, string SubsidyName, Money Amount, DateOnly Date, string VoucherNo, int RowNo);

/// <summary>A credit as printed: <see cref="PersonTotal"/> is set on each person's last row only.</summary>
public sealed record BeneficiaryRow(BeneficiaryCredit Credit, Money? PersonTotal);

/// <summary>
/// The quarter's 明白条 of one bureau (<c>MB_&lt;AdmDivCode&gt;_&lt;yyyy&gt;Q&lt;n&gt;.csv</c>): every credit, grouped by person
/// in 证件号码 order (ordinal), then by date, voucher number (ordinal) and list position; each person's total on the
/// last row. <see cref="Total"/> is the sum of all credits, to the fen, overflow-checked.
/// </summary>
public sealed class BeneficiaryStatement
{
    private BeneficiaryStatement(string admDivCode, StatementPeriod quarter, IReadOnlyList<BeneficiaryRow> rows, Money total, int people)
    {
        AdmDivCode = admDivCode;
        Quarter = quarter;
        Rows = rows;
        Total = total;
        People = people;
    }

    public string AdmDivCode { get; }
    public StatementPeriod Quarter { get; }
    public IReadOnlyList<BeneficiaryRow> Rows { get; }
    public Money Total { get; }
    public int People { get; }

    /// <summary>Orders and groups the credits, and checks that the persons' totals add up to the file total.</summary>
    public static BeneficiaryStatement Build(string admDivCode, StatementPeriod quarter, IEnumerable<BeneficiaryCredit> credits)
    {
        if (quarter.Kind != PeriodKind.Quarter) throw new ArgumentException("明白条 are quarterly", nameof(quarter));
        var ordered = credits
            .OrderBy(c => c.IdNumber, StringComparer.Ordinal)
            .ThenBy(c => c.Date)
            .ThenBy(c => c.VoucherNo, StringComparer.Ordinal)
            .ThenBy(c => c.RowNo)
            .ToList();
        var rows = new List<BeneficiaryRow>(ordered.Count);
        Money total = Money.Zero, personTotals = Money.Zero, person = Money.Zero;
        int people = 0;
        for (int i = 0; i < ordered.Count; i++)
        {
            var c = ordered[i];
            if (!quarter.Contains(c.Date))
                throw new StatementTotalsException($"MB_{admDivCode} {quarter.Label}: a credit of {c.Date:yyyy-MM-dd} is outside the quarter");
            if (!c.Amount.IsPositive)
                throw new StatementTotalsException($"MB_{admDivCode} {quarter.Label}: a credit of {c.Amount} is not positive");
            total += c.Amount;
            person += c.Amount;
            bool last = i == ordered.Count - 1 || !string.Equals(ordered[i + 1].IdNumber, c.IdNumber, StringComparison.Ordinal);
            rows.Add(new BeneficiaryRow(c, last ? person : null));
            if (last)
            {
                personTotals += person;
                person = Money.Zero;
                people++;
            }
        }
        if (personTotals != total)
            throw new StatementTotalsException($"MB_{admDivCode} {quarter.Label}: the persons' totals {personTotals} ≠ the credits {total}");
        return new BeneficiaryStatement(admDivCode, quarter, rows, total, people);
    }
}
