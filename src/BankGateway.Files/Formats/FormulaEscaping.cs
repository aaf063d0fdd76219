namespace BankGateway.Files.Formats;

/// <summary>
/// CSV formula-injection defence (OWASP "CSV Injection") for files opened in spreadsheets: a cell that would
/// start with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, TAB or CR gets a leading apostrophe. To make the escaping
/// exactly reversible, a cell that already is apostrophes followed by such a character gets one more apostrophe;
/// <see cref="Unescape"/> removes exactly one apostrophe from such cells.
/// </summary>
public static class FormulaEscaping
{
    private static bool IsTrigger(char c) => c is '=' or '+' or '-' or '@' or '\t' or '\r';

    private static bool IsEscapable(string cell)
    {
        int i = 0;
        while (i < cell.Length && cell[i] == '\'') i++;
        return i < cell.Length && IsTrigger(cell[i]);
    }

    /// <summary>The cell as written: prefixed with <c>'</c> when it (after any apostrophes) starts with a trigger.</summary>
    public static string Escape(string cell) => IsEscapable(cell) ? "'" + cell : cell;

    /// <summary>The cell as meant: one leading <c>'</c> removed when apostrophes are followed by a trigger.</summary>
    public static string Unescape(string cell) => cell.Length > 1 && cell[0] == '\'' && IsEscapable(cell) ? cell[1..] : cell;
}
