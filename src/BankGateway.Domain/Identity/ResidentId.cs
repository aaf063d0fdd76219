namespace BankGateway.Domain.Identity;

/// <summary>
/// The 18-character resident identity number of GB 11643: a 6-digit region code, the birth
/// date <c>yyyyMMdd</c>, a 3-digit sequence and a check character computed by ISO 7064 MOD 11-2
/// (<c>0</c>–<c>9</c> or <c>X</c>; a lowercase <c>x</c> is accepted, contract §4).
/// </summary>
/// <remarks>
/// Pure and allocation-free: it runs once per issuance line on the validation hot path.
/// The clock is never read: the plain overloads accept birth years 1900–2099; pass
/// <c>today</c> to also refuse birth dates in the future.
/// </remarks>
public static class ResidentId
{
    /// <summary>Length of a valid resident ID.</summary>
    public const int Length = 18;

    // Weight of position i is 2^(17-i) mod 11 (ISO 7064 MOD 11-2).
    private static ReadOnlySpan<byte> Weights => [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

    // Check character indexed by (weighted sum mod 11).
    private const string CheckChars = "10X98765432";

    private static readonly DateOnly LatestBirthDate = new(2099, 12, 31);

    private enum Problem { None, Length, Characters, Region, BirthDate, CheckDigit }

    /// <summary>True when <paramref name="id"/> is a valid 18-character resident ID (birth years up to 2099).</summary>
    public static bool IsValid(ReadOnlySpan<char> id) => Diagnose(id, LatestBirthDate) == Problem.None;

    /// <summary>True when <paramref name="id"/> is valid and its birth date is not after <paramref name="today"/>.</summary>
    public static bool IsValid(ReadOnlySpan<char> id, DateOnly today) => Diagnose(id, today) == Problem.None;

    /// <summary>The reason <paramref name="id"/> is invalid (format, birth date or check digit), or null when valid.</summary>
    public static string? Explain(ReadOnlySpan<char> id) => Describe(Diagnose(id, LatestBirthDate));

    /// <summary>As <see cref="Explain(ReadOnlySpan{char})"/>, also refusing birth dates after <paramref name="today"/>.</summary>
    public static string? Explain(ReadOnlySpan<char> id, DateOnly today) => Describe(Diagnose(id, today));

    /// <summary>
    /// The MOD 11-2 check character (<c>0</c>–<c>9</c> or uppercase <c>X</c>) for the first 17 digits.
    /// </summary>
    /// <exception cref="ArgumentException">Not exactly 17 ASCII digits.</exception>
    public static char ComputeCheckChar(ReadOnlySpan<char> first17)
    {
        if (first17.Length != 17 || !AllDigits(first17))
            throw new ArgumentException("expected exactly 17 digits", nameof(first17));
        return CheckChars[WeightedSumMod11(first17)];
    }

    /// <summary>
    /// True when both are the same ID, treating <c>x</c> and <c>X</c> alike (the only letter an ID
    /// may hold). Used to compare a line's 证件号码 with the account holder's (F10).
    /// </summary>
    public static bool SameId(string a, string b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            char x = a[i], y = b[i];
            if (x != y && !(IsX(x) && IsX(y))) return false;
        }
        return true;
    }

    private static Problem Diagnose(ReadOnlySpan<char> id, DateOnly latestBirth)
    {
        if (id.Length != Length) return Problem.Length;
        if (!AllDigits(id[..17])) return Problem.Characters;
        char last = id[17];
        if (!IsDigit(last) && !IsX(last)) return Problem.Characters;
        if (id[..6].IndexOfAnyExcept('0') < 0) return Problem.Region;
        if (!IsBirthDate(id.Slice(6, 8), latestBirth)) return Problem.BirthDate;
        char expected = CheckChars[WeightedSumMod11(id[..17])];
        return expected == char.ToUpperInvariant(last) ? Problem.None : Problem.CheckDigit;
    }

    private static bool IsBirthDate(ReadOnlySpan<char> yyyyMMdd, DateOnly latestBirth)
    {
        int year = Number(yyyyMMdd[..4]), month = Number(yyyyMMdd.Slice(4, 2)), day = Number(yyyyMMdd.Slice(6, 2));
        if (year < 1900 || year > latestBirth.Year || month is < 1 or > 12) return false;
        if (day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        return new DateOnly(year, month, day) <= latestBirth;
    }

    private static int WeightedSumMod11(ReadOnlySpan<char> first17)
    {
        int sum = 0;
        for (int i = 0; i < 17; i++) sum += (first17[i] - '0') * Weights[i];
        return sum % 11;
    }

    private static int Number(ReadOnlySpan<char> digits)
    {
        int n = 0;
        foreach (char c in digits) n = n * 10 + (c - '0');
        return n;
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (char c in s) if (!IsDigit(c)) return false;
        return true;
    }

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsX(char c) => c is 'X' or 'x';

    private static string? Describe(Problem p) => p switch
    {
        Problem.None => null,
        Problem.Length => "证件号码须为18位 (ID number must be 18 characters)",
        Problem.Characters => "证件号码格式错误 (ID number must be 17 digits followed by a digit or X)",
        Problem.Region => "证件号码地区码无效 (ID number region code is all zeros)",
        Problem.BirthDate => "证件号码出生日期无效 (ID number birth date is not a real date from 1900 on)",
        Problem.CheckDigit => "证件号码校验位错误 (ID number check digit is wrong)",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };
}
