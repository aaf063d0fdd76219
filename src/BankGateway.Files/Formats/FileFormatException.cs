using BankGateway.Domain.Codes;

namespace BankGateway.Files.Formats;

/// <summary>
/// A file of the interface contract is not in the agreed format. The message is complete and meant for
/// operators and finance bureaus as is, e.g.
/// <c>QC_522726_X.csv line 17, column 7 (金额): expected yuan with two decimals, got '35.5'</c>;
/// show <see cref="Exception.Message"/>, never the stack trace.
/// </summary>
public sealed class FileFormatException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/> at <paramref name="line"/>.</summary>
    /// <param name="file">The file name as received (no directory).</param>
    /// <param name="line">Physical line number, 1-based (the header is line 1); 0 when unknown.</param>
    /// <param name="column">1-based column (CSV: field position; XML: character position), when known.</param>
    /// <param name="field">The field's name (header cell or XML element), when known.</param>
    /// <param name="problem">What was expected and what was found.</param>
    /// <param name="code">The voucher-level code this error leads to (R05 for vouchers, R06 for issuance lists), or None.</param>
    public FileFormatException(string file, long line, int? column, string? field, string problem, RejectCode code = RejectCode.None)
        : base(Format(file, line, column, field, problem))
    {
        File = file;
        Line = line;
        Column = column;
        Field = field;
        Problem = problem;
        Code = code;
    }

    /// <summary>The file name as received.</summary>
    public string File { get; }

    /// <summary>Physical line number (1-based; 0 when unknown).</summary>
    public long Line { get; }

    /// <summary>1-based column, when known.</summary>
    public int? Column { get; }

    /// <summary>Name of the offending field, when known.</summary>
    public string? Field { get; }

    /// <summary>What was expected and what was found, without the location prefix.</summary>
    public string Problem { get; }

    /// <summary>The rejection code this error maps to (R05, R06) or <see cref="RejectCode.None"/>.</summary>
    public RejectCode Code { get; }

    internal static string Format(string file, long line, int? column, string? field, string problem)
    {
        var where = file;
        if (line > 0) where += $" line {line}";
        if (column is not null) where += line > 0 ? $", column {column}" : $" column {column}";
        if (field is not null) where += $" ({field})";
        return $"{where}: {problem}";
    }

    /// <summary>Quotes a found value for a message: at most 40 characters, control characters made visible.</summary>
    internal static string Shown(ReadOnlySpan<char> value)
    {
        var s = Domain.Text.TextPreview.Shorten(value, 40);
        var sb = new System.Text.StringBuilder(s.Length + 2).Append('\'');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[++i]); continue; }
            // Controls, invisible format characters and lone surrogates are shown as code points, never raw.
            if (char.IsControl(c) || char.IsSurrogate(c) || Domain.Text.CanonicalText.Forbidden([c]) is not null) sb.Append($"\\u{(int)c:X4}");
            else sb.Append(c);
        }
        return sb.Append('\'').ToString();
    }
}
