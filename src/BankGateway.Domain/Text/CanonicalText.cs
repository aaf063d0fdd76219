using System.Text;

namespace BankGateway.Domain.Text;

/// <summary>
/// The one canonical form of text that identifies something (contract §12): department, subsidy
/// name, names, 区划, periods, ID and account numbers. Unicode NFKC (a full-width space U+3000 and a
/// no-break space become a plain space, full-width digits become ASCII), then every kind of white
/// space trimmed at both ends. Every comparison, key and lookup uses this form, so two spellings a
/// data-entry clerk cannot tell apart can never be two identities.
/// </summary>
public static class CanonicalText
{
    /// <summary>The canonical form of <paramref name="value"/>; the same instance when it already is canonical.</summary>
    public static string Of(string value)
    {
        if (IsPlain(value)) return value;
        string normalized = value.IsNormalized(NormalizationForm.FormKC) ? value : value.Normalize(NormalizationForm.FormKC);
        return normalized.Trim(); // string.Trim removes every Unicode White_Space character
    }

    /// <summary>An ID number's canonical form: <see cref="Of"/>, upper-cased (a check digit x is X).</summary>
    public static string IdNumber(string value)
    {
        var canonical = Of(value);
        foreach (char c in canonical)
            if (c is >= 'a' and <= 'z') return canonical.ToUpperInvariant();
        return canonical;
    }

    /// <summary>
    /// The first character that may never appear in a voucher field or list cell, or null: NUL and every
    /// C0 control but tab, DEL, C1 controls, and the invisible format characters that make two equal-looking
    /// names differ (zero-width space/joiners, direction marks and overrides, BOM, word joiner).
    /// </summary>
    public static char? Forbidden(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (c < 0x20 ? c != '\t' : IsForbiddenAbove(c)) return c;
        }
        return null;
    }

    /// <summary>How a forbidden character is named in an error detail: its code point, never the raw byte.</summary>
    public static string Describe(char c) => c switch
    {
        '\0' => "a NUL byte (U+0000)",
        < (char)0x20 or (char)0x7F or (>= (char)0x80 and <= (char)0x9F) => $"a control character (U+{(int)c:X4})",
        _ => $"an invisible format character (U+{(int)c:X4})",
    };

    private static bool IsForbiddenAbove(char c) => c switch
    {
        < (char)0x7F => false,
        (char)0x7F => true,
        <= (char)0x9F => true,
        (char)0x00AD => true,                 // soft hyphen: invisible
        >= (char)0x200B and <= (char)0x200F => true,
        >= (char)0x202A and <= (char)0x202E => true,
        >= (char)0x2060 and <= (char)0x2064 => true,
        >= (char)0x2066 and <= (char)0x2069 => true,
        (char)0xFEFF => true,
        _ => false,
    };

    // Fast path for the usual cell: printable ASCII and CJK unified ideographs are NFKC-stable, and
    // nothing to trim at the ends. Keeps a million-line list at parse speed.
    private static bool IsPlain(string value)
    {
        if (value.Length == 0) return true;
        if (value[0] == ' ' || value[^1] == ' ') return false;
        foreach (char c in value)
        {
            if (c is >= (char)0x21 and <= (char)0x7E or ' ') continue;
            if (c is >= (char)0x4E00 and <= (char)0x9FFF) continue;
            return false;
        }
        return true;
    }
}
