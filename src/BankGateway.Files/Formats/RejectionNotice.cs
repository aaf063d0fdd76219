using BankGateway.Domain.Codes;

namespace BankGateway.Files.Formats;

/// <summary>
/// The rejection notice <c>RJ_&lt;AdmDivCode&gt;_&lt;VoucherNo&gt;.xml</c> (contract §7): the whole voucher is refused
/// with <see cref="Code"/> (R01–R07), its Chinese <see cref="Reason"/> from <see cref="OutcomeTable"/>, and a
/// <see cref="Detail"/> saying exactly what was wrong (e.g. a <see cref="FileFormatException"/> message).
/// </summary>
public sealed record RejectionNotice(
    string VoucherNo,
    string AdmDivCode,
    RejectCode Code,
    string Reason,
    string Detail,
    DateTimeOffset RejectedAt)
{
    /// <summary>A notice with the reason text taken from <see cref="OutcomeTable"/>.</summary>
    public static RejectionNotice For(string voucherNo, string admDivCode, RejectCode code, string detail, DateTimeOffset rejectedAt) =>
        new(voucherNo, admDivCode, code, OutcomeTable.Reason(code), detail, rejectedAt);
}

/// <summary>
/// Writes and reads <see cref="RejectionNotice"/> as flat XML with root <c>&lt;Rejection&gt;</c>, children
/// VoucherNo, AdmDivCode, Code, Reason, Detail, RejectedAt.
/// </summary>
public static class RejectionNoticeXml
{
    /// <summary>The root element.</summary>
    public const string Root = "Rejection";

    private static readonly string[] Fields = ["VoucherNo", "AdmDivCode", "Code", "Reason", "Detail", "RejectedAt"];

    /// <summary>Writes the notice (UTF-8 without BOM, indented).</summary>
    public static void Write(RejectionNotice notice, Stream stream)
    {
        using var w = FlatXml.CreateWriter(stream);
        w.WriteStartElement(Root);
        FlatXml.WriteFields(w,
        [
            ("VoucherNo", notice.VoucherNo),
            ("AdmDivCode", notice.AdmDivCode),
            ("Code", notice.Code.ToString()),
            ("Reason", notice.Reason),
            ("Detail", XmlSafe(notice.Detail)),
            ("RejectedAt", FlatXml.Text(notice.RejectedAt)),
        ]);
        w.WriteEndElement();
    }

    /// <summary>Reads a notice; throws <see cref="FileFormatException"/> naming the element at fault.</summary>
    public static RejectionNotice Read(Stream stream, string fileName)
    {
        var d = FlatXml.Read(stream, fileName, Root, Fields, lineAttributes: null);
        return new RejectionNotice(
            d.Raw("VoucherNo"),
            d.Raw("AdmDivCode"),
            d.Parse<RejectCode>("Code", s => s.Length == 3 && s[0] == 'R' && Enum.TryParse<RejectCode>(s, out var c) && c != RejectCode.None ? c : (RejectCode?)null, "R01–R07"),
            d.Required("Reason"),
            d.Raw("Detail"),
            d.Time("RejectedAt"));
    }

    /// <summary>Detail may quote hostile input: drop characters XML 1.0 cannot carry instead of failing to write.</summary>
    private static string XmlSafe(string text)
    {
        if (!text.Any(c => char.IsControl(c) && c is not '\t' and not '\n' and not '\r' || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF'))
            return text;
        var sb = new System.Text.StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(c).Append(text[++i]); continue; }
            if (char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF' || (char.IsControl(c) && c is not '\t' and not '\n' and not '\r')) { sb.Append('?'); continue; }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
