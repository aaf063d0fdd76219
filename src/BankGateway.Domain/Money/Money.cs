namespace BankGateway.Domain;

/// <summary>
/// An amount in integer fen (1 yuan = 100 fen). Amounts travel as yuan with exactly two
/// fraction digits (<c>350.00</c>); nothing else is accepted and floating point is never used.
/// </summary>
public readonly record struct Money(long Fen) : IComparable<Money>
{
    /// <summary>At most 13 integer digits in one amount (contract §12).</summary>
    public const int MaxIntegerDigits = 13;

    /// <summary>Upper bound of one parsed amount: 13 integer digits and 2 decimals (9,999,999,999,999.99 yuan).</summary>
    public const long MaxFen = 999_999_999_999_999L;

    public static readonly Money Zero = new(0);

    public static Money operator +(Money a, Money b) => new(checked(a.Fen + b.Fen));
    public static Money operator -(Money a, Money b) => new(checked(a.Fen - b.Fen));
    public static bool operator <(Money a, Money b) => a.Fen < b.Fen;
    public static bool operator >(Money a, Money b) => a.Fen > b.Fen;
    public static bool operator <=(Money a, Money b) => a.Fen <= b.Fen;
    public static bool operator >=(Money a, Money b) => a.Fen >= b.Fen;

    public int CompareTo(Money other) => Fen.CompareTo(other.Fen);

    public bool IsPositive => Fen > 0;

    /// <summary>Parses <c>digits.dd</c> exactly: no sign, no separators, no spaces, two fraction digits.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Money money, out string? error)
    {
        money = Zero;
        if (text.IsEmpty) { error = "金额为空 (amount is empty)"; return false; }
        int dot = text.IndexOf('.');
        if (dot < 0 || text.Length - dot - 1 != 2)
        {
            error = $"金额须为两位小数 (expected yuan with exactly two decimals, e.g. 350.00; got '{Truncate(text)}')";
            return false;
        }
        if (dot == 0) { error = $"金额缺少整数部分 (no integer part in '{Truncate(text)}')"; return false; }
        if (dot > 1 && text[0] == '0') { error = $"金额有前导零 (leading zero in '{Truncate(text)}')"; return false; }
        if (dot > MaxIntegerDigits) { error = $"金额超出范围 (more than {MaxIntegerDigits} integer digits: '{Truncate(text)}')"; return false; }
        long fen = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (i == dot) continue;
            char c = text[i];
            if (c < '0' || c > '9')
            {
                error = $"金额含非法字符 (only digits and one '.' allowed; got '{Truncate(text)}')";
                return false;
            }
            fen = fen * 10 + (c - '0');
            if (fen > MaxFen) { error = $"金额超出范围 (amount too large: '{Truncate(text)}')"; return false; }
        }
        money = new Money(fen);
        error = null;
        return true;
    }

    public static Money Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out var m, out var error) ? m : throw new FormatException(error);

    public static Money FromYuan(long yuan, int fen = 0) => new(checked(yuan * 100 + fen));

    /// <summary>Formats as the contract's yuan text, exactly <c>0.00</c>.</summary>
    public override string ToString()
    {
        long abs = Math.Abs(Fen);
        string s = $"{abs / 100}.{abs % 100:00}";
        return Fen < 0 ? "-" + s : s;
    }

    /// <summary>Yuan with thousands separators for screens (<c>1,234,567.89</c>).</summary>
    public string ToDisplayString()
    {
        long abs = Math.Abs(Fen);
        string s = $"{abs / 100:#,0}.{abs % 100:00}";
        return Fen < 0 ? "-" + s : s;
    }

    private static string Truncate(ReadOnlySpan<char> text) => Text.TextPreview.Shorten(text, 32);
}
