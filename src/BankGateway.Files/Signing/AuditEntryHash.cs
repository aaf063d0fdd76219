using System.Globalization;
using System.Text;

namespace BankGateway.Files.Signing;

/// <summary>
/// The audit chain's hash of one entry (contract §15), the same text the database trigger
/// <c>audit_log_chain</c> hashes (migration 006_audit_chain.sql, specs/supervision.md):
/// <code>bg-audit-v1 LF id LF at LF actor LF action LF subject LF detail LF prev_sm3</code>
/// with <c>at</c> in UTC as <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c>, each text field escaped (backslash → <c>\\</c>,
/// LF → <c>\n</c>) and a null field written <c>\N</c>; SM3 over its UTF-8 bytes, lowercase hex.
/// </summary>
public static class AuditEntryHash
{
    /// <summary>prev_sm3 of the first entry of the chain.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>The canonical text of an entry.</summary>
    public static string CanonicalText(long id, DateTime atUtc, string? actor, string? action, string? subject, string? detail, string? prevSm3)
    {
        var text = new StringBuilder(256);
        text.Append("bg-audit-v1\n").Append(id.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(atUtc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        foreach (var field in new[] { actor, action, subject, detail, prevSm3 })
        {
            text.Append('\n');
            if (field is null) text.Append("\\N");
            else text.Append(field.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal));
        }
        return text.ToString();
    }

    /// <summary>SM3 (lowercase hex) of the entry's canonical text in UTF-8.</summary>
    public static string Compute(long id, DateTime atUtc, string? actor, string? action, string? subject, string? detail, string? prevSm3) =>
        Sm3.HashHex(Encoding.UTF8.GetBytes(CanonicalText(id, atUtc, actor, action, subject, detail, prevSm3)));
}
