namespace BankGateway.Domain.Identity;

/// <summary>
/// Masks personal data for logs and screens (domain: masked unless explicitly revealed).
/// Never throws: null, empty and unexpectedly short inputs are masked completely rather than
/// partly revealed, because a short value keeps too little hidden to be worth showing.
/// </summary>
public static class PersonalDataMask
{
    private const char Star = '*';

    /// <summary>Keeps the first character of a name: <c>张三丰</c> → <c>张**</c>; a one-character name → <c>*</c>.</summary>
    public static string Name(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "";
        // A rare surname outside the BMP (surrogate pair) counts as one character.
        int firstLen = char.IsHighSurrogate(name[0]) && name.Length > 1 && char.IsLowSurrogate(name[1]) ? 2 : 1;
        int rest = CountTextChars(name.AsSpan(firstLen));
        if (rest == 0) return new string(Star, 1);
        return string.Concat(name.AsSpan(0, firstLen), new string(Star, rest));
    }

    /// <summary>Keeps the first 3 and last 4 characters of an ID number: <c>522***********1234</c>.</summary>
    public static string IdNumber(string? id) => KeepEnds(id, 3, 4);

    /// <summary>Keeps the first 4 and last 4 digits of an account number: <c>6222***********0123</c>.</summary>
    public static string AccountNo(string? accountNo) => KeepEnds(accountNo, 4, 4);

    /// <summary>Keeps the first 3 and last 4 digits of a phone number: <c>138****5678</c>.</summary>
    public static string Phone(string? phone) => KeepEnds(phone, 3, 4);

    private static string KeepEnds(string? value, int head, int tail)
    {
        if (string.IsNullOrEmpty(value)) return "";
        // Reveal ends only when at least as many characters stay hidden as one of the ends shows.
        if (value.Length < head + tail + Math.Min(head, tail)) return new string(Star, value.Length);
        return string.Create(value.Length, (value, head, tail), static (span, s) =>
        {
            s.value.AsSpan().CopyTo(span);
            span[s.head..^s.tail].Fill(Star);
        });
    }

    private static int CountTextChars(ReadOnlySpan<char> s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }
        return n;
    }
}
