using System.Globalization;

namespace BankGateway.Domain.Statements;

/// <summary>The kind of a statement period: a calendar month, quarter or year (business dates, China time).</summary>
public enum PeriodKind
{
    Month,
    Quarter,
    Year,
}

/// <summary>
/// A statement period (contract §14 DZ_, §16 MB_): a calendar month (<c>yyyy-MM</c>), quarter (<c>yyyy-Qn</c>) or
/// year (<c>yyyy</c>) of business dates. Pure: it never reads a clock; the caller passes China's today.
/// </summary>
public sealed record StatementPeriod(PeriodKind Kind, int Year, int Number)
{
    /// <summary>The first business date of the period.</summary>
    public DateOnly First => Kind switch
    {
        PeriodKind.Month => new DateOnly(Year, Number, 1),
        PeriodKind.Quarter => new DateOnly(Year, (Number - 1) * 3 + 1, 1),
        _ => new DateOnly(Year, 1, 1),
    };

    /// <summary>The last business date of the period.</summary>
    public DateOnly Last => Kind switch
    {
        PeriodKind.Month => First.AddMonths(1).AddDays(-1),
        PeriodKind.Quarter => First.AddMonths(3).AddDays(-1),
        _ => new DateOnly(Year, 12, 31),
    };

    /// <summary>As written in the files and typed on the command line: <c>2024-09</c>, <c>2024-Q3</c>, <c>2024</c>.</summary>
    public string Label => Kind switch
    {
        PeriodKind.Month => $"{Year:D4}-{Number:D2}",
        PeriodKind.Quarter => $"{Year:D4}-Q{Number}",
        _ => $"{Year:D4}",
    };

    /// <summary>As it appears in a file name: <c>202409</c>, <c>2024Q3</c>, <c>2024</c>.</summary>
    public string FileToken => Kind switch
    {
        PeriodKind.Month => $"{Year:D4}{Number:D2}",
        PeriodKind.Quarter => $"{Year:D4}Q{Number}",
        _ => $"{Year:D4}",
    };

    /// <summary>True when <paramref name="date"/> falls in the period.</summary>
    public bool Contains(DateOnly date) => date >= First && date <= Last;

    /// <summary>A period has ended once China's today is after its last business date.</summary>
    public bool HasEnded(DateOnly chinaToday) => chinaToday > Last;

    /// <summary>The period that follows this one (same kind).</summary>
    public StatementPeriod Next() => Kind switch
    {
        PeriodKind.Month => Number == 12 ? new(Kind, Year + 1, 1) : new(Kind, Year, Number + 1),
        PeriodKind.Quarter => Number == 4 ? new(Kind, Year + 1, 1) : new(Kind, Year, Number + 1),
        _ => new(Kind, Year + 1, 1),
    };

    /// <summary>The period of this kind containing <paramref name="date"/>.</summary>
    public static StatementPeriod Containing(PeriodKind kind, DateOnly date) => kind switch
    {
        PeriodKind.Month => new(kind, date.Year, date.Month),
        PeriodKind.Quarter => new(kind, date.Year, (date.Month - 1) / 3 + 1),
        _ => new(kind, date.Year, 1),
    };

    public static StatementPeriod Month(int year, int month) =>
        year is >= 1 and <= 9999 && month is >= 1 and <= 12 ? new(PeriodKind.Month, year, month) : throw new ArgumentOutOfRangeException(nameof(month));

    public static StatementPeriod Quarter(int year, int quarter) =>
        year is >= 1 and <= 9999 && quarter is >= 1 and <= 4 ? new(PeriodKind.Quarter, year, quarter) : throw new ArgumentOutOfRangeException(nameof(quarter));

    public static StatementPeriod OfYear(int year) =>
        year is >= 1 and <= 9999 ? new(PeriodKind.Year, year, 1) : throw new ArgumentOutOfRangeException(nameof(year));

    /// <summary>Parses <c>yyyy-MM</c> exactly (two-digit month).</summary>
    public static bool TryParseMonth(string? text, out StatementPeriod period)
    {
        period = null!;
        if (text is not { Length: 7 } || text[4] != '-' || !Digits(text, 0, 4, out int y) || !Digits(text, 5, 2, out int m) || y < 1 || m is < 1 or > 12)
            return false;
        period = new(PeriodKind.Month, y, m);
        return true;
    }

    /// <summary>Parses <c>yyyy-Qn</c> with n 1–4 (an upper-case Q, as the contract writes it; a lower-case q is accepted too).</summary>
    public static bool TryParseQuarter(string? text, out StatementPeriod period)
    {
        period = null!;
        if (text is not { Length: 7 } || text[4] != '-' || text[5] is not ('Q' or 'q') || !Digits(text, 0, 4, out int y) || !Digits(text, 6, 1, out int q)
            || y < 1 || q is < 1 or > 4)
            return false;
        period = new(PeriodKind.Quarter, y, q);
        return true;
    }

    /// <summary>Parses <c>yyyy</c> exactly.</summary>
    public static bool TryParseYear(string? text, out StatementPeriod period)
    {
        period = null!;
        if (text is not { Length: 4 } || !Digits(text, 0, 4, out int y) || y < 1) return false;
        period = new(PeriodKind.Year, y, 1);
        return true;
    }

    public override string ToString() => Label;

    private static bool Digits(string text, int start, int length, out int value)
    {
        value = 0;
        for (int i = start; i < start + length; i++)
        {
            if (text[i] is < '0' or > '9') return false;
        }
        value = int.Parse(text.AsSpan(start, length), NumberStyles.None, CultureInfo.InvariantCulture);
        return true;
    }
}
