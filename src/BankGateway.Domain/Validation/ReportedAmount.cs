namespace BankGateway.Domain.Validation;

/// <summary>
/// The value a line's 金额 text stands for when it is a plain decimal, even if it breaks the
/// two-decimal rule (F04). R03 compares the sum of these with PayAmt: a department that wrote
/// <c>350.0</c> meant 350 yuan, so that line fails F04 and is returned, not the whole voucher.
/// Text that is no number (empty, letters, a sign, more than two decimals) counts as zero: amounts
/// never carry a sign in the contract, so a signed value is never summed, paid or returned.
/// </summary>
public static class ReportedAmount
{
    /// <summary>The amount in fen, or null when the text is not a decimal with at most two fraction digits.</summary>
    public static long? Fen(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        if (text.IsEmpty) return null;
        int dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? [] : text[(dot + 1)..];
        if (whole.IsEmpty || whole.Length > Money.MaxIntegerDigits || fraction.Length > 2) return null;
        long fen = 0;
        foreach (char c in whole)
        {
            if (c is < '0' or > '9') return null;
            fen = fen * 10 + (c - '0');
        }
        int scale = 0;
        foreach (char c in fraction)
        {
            if (c is < '0' or > '9') return null;
            fen = fen * 10 + (c - '0');
            scale++;
        }
        for (; scale < 2; scale++) fen *= 10;
        return fen;
    }
}
