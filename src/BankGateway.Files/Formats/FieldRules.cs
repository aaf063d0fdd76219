using System.Globalization;

namespace BankGateway.Files.Formats;

/// <summary>Small field-format rules shared by the readers (digits, dates, codes).</summary>
internal static class FieldRules
{
    public static bool IsDigits(ReadOnlySpan<char> s, int min, int max)
    {
        if (s.Length < min || s.Length > max) return false;
        foreach (var c in s) if (c is < '0' or > '9') return false;
        return true;
    }

    /// <summary>1–32 characters of [A-Za-z0-9-] (VoucherNo, contract §2).</summary>
    public static bool IsVoucherNo(ReadOnlySpan<char> s)
    {
        if (s.Length is < 1 or > 32) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return false;
        return true;
    }

    /// <summary>Free text: 1..max characters, no control characters.</summary>
    public static bool IsText(ReadOnlySpan<char> s, int max)
    {
        if (s.Length < 1 || s.Length > max) return false;
        foreach (var c in s) if (char.IsControl(c)) return false;
        return true;
    }

    public static bool IsLowerOrUpperHex(ReadOnlySpan<char> s, int length)
    {
        if (s.Length != length) return false;
        foreach (var c in s) if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    public static int? ParseCount(string s) =>
        IsDigits(s, 1, 9) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

    public static DateOnly? ParseDate(string s) =>
        s.Length == 10 && DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
}
