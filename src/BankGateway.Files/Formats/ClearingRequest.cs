using BankGateway.Domain;

namespace BankGateway.Files.Formats;

/// <summary>One voucher in a QS_ clearing request: the paying account, department, voucher and its paid amount.</summary>
public sealed record ClearingLine(string PayAcctNo, string DeptName, string VoucherNo, Money PaidAmt);

/// <summary>
/// The daily clearing request <c>QS_&lt;AdmDivCode&gt;_&lt;yyyyMMdd&gt;.xml</c> (申请划款凭证, contract §7): one bureau,
/// one business day, one line per voucher completed that day with PaidAmt &gt; 0, ordered by PayAcctNo then
/// VoucherNo (the caller orders; the writer keeps the given order). Equality compares lines element by element.
/// </summary>
public sealed record ClearingRequest(
    string AdmDivCode,
    DateOnly ClearDate,
    int VoucherCount,
    Money TotalAmt,
    IReadOnlyList<ClearingLine> Lines)
{
    /// <inheritdoc />
    public bool Equals(ClearingRequest? other) =>
        other is not null && AdmDivCode == other.AdmDivCode && ClearDate == other.ClearDate && VoucherCount == other.VoucherCount
        && TotalAmt == other.TotalAmt && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(AdmDivCode, ClearDate, VoucherCount, TotalAmt);
}

/// <summary>
/// Writes and reads <see cref="ClearingRequest"/> as flat XML with root <c>&lt;Clearing&gt;</c>: AdmDivCode,
/// ClearDate (yyyy-MM-dd), VoucherCount, TotalAmt, then
/// <c>&lt;Lines&gt;&lt;Line PayAcctNo=".." DeptName=".." VoucherNo=".." PaidAmt=".."/&gt;…&lt;/Lines&gt;</c>.
/// </summary>
public static class ClearingRequestXml
{
    /// <summary>The root element.</summary>
    public const string Root = "Clearing";

    private static readonly string[] Fields = ["AdmDivCode", "ClearDate", "VoucherCount", "TotalAmt"];

    private static readonly string[] LineAttributes = ["PayAcctNo", "DeptName", "VoucherNo", "PaidAmt"];

    /// <summary>Writes the request (UTF-8 without BOM, indented).</summary>
    public static void Write(ClearingRequest request, Stream stream)
    {
        using var w = FlatXml.CreateWriter(stream);
        w.WriteStartElement(Root);
        FlatXml.WriteFields(w,
        [
            ("AdmDivCode", request.AdmDivCode),
            ("ClearDate", FlatXml.Text(request.ClearDate)),
            ("VoucherCount", FlatXml.Text(request.VoucherCount)),
            ("TotalAmt", FlatXml.Text(request.TotalAmt)),
        ]);
        w.WriteStartElement(FlatXml.LinesElement);
        foreach (var line in request.Lines)
        {
            w.WriteStartElement(FlatXml.LineElement);
            w.WriteAttributeString("PayAcctNo", line.PayAcctNo);
            w.WriteAttributeString("DeptName", line.DeptName);
            w.WriteAttributeString("VoucherNo", line.VoucherNo);
            w.WriteAttributeString("PaidAmt", line.PaidAmt.ToString());
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>Reads a request; throws <see cref="FileFormatException"/> naming the element at fault.</summary>
    public static ClearingRequest Read(Stream stream, string fileName)
    {
        var d = FlatXml.Read(stream, fileName, Root, Fields, LineAttributes);
        var lines = d.Lines.Select(l => new ClearingLine(
            d.LineAttribute(l, "PayAcctNo"),
            d.LineAttribute(l, "DeptName"),
            d.LineAttribute(l, "VoucherNo"),
            d.LineMoney(l, "PaidAmt"))).ToList();
        return new ClearingRequest(
            d.Match("AdmDivCode", s => FieldRules.IsDigits(s, 6, 6), "6 digits"),
            d.Date("ClearDate"),
            d.Count("VoucherCount"),
            d.Money("TotalAmt"),
            lines);
    }
}
