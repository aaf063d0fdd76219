namespace BankGateway.Domain.Text;

/// <summary>A short, safe excerpt of untrusted text for an error detail or a log line.</summary>
public static class TextPreview
{
    /// <summary>
    /// At most <paramref name="max"/> characters followed by "…" when cut; never cuts a surrogate pair
    /// in half (a lone surrogate cannot be encoded and would break the notice that carries it).
    /// </summary>
    public static string Shorten(ReadOnlySpan<char> text, int max)
    {
        if (text.Length <= max) return text.ToString();
        int cut = max;
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1])) cut--;
        return string.Concat(text[..cut], "…");
    }
}
