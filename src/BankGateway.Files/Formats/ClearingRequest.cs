using BankGateway.Domain;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Files.Formats;

/// <summary>
/// One voucher in a QS_ clearing request: the paying account, department, voucher, its paid amount, its fund
/// channel and the business date it was paid on (contract §13: a voucher completed after its own day's QS_ is
/// cleared in a later one, so the date travels with it).
/// </summary>
public sealed record ClearingLine(string PayAcctNo, string DeptName, string VoucherNo, Money PaidAmt, FundChannel FundChannel, DateOnly BusinessDate);

/// <summary>
/// The daily clearing request <c>QS_&lt;AdmDivCode&gt;_&lt;yyyyMMdd&gt;.xml</c> (申请划款凭证, contract §7, §13): one
/// bureau, one clear date, one line per completed voucher with PaidAmt &gt; 0 that no earlier QS_ listed, ordered by
/// PayAcctNo then VoucherNo (the caller orders; the writer keeps the given order). TreasuryAmt and GrainFundAmt
/// are the sums of each fund channel's lines (never netted: they clear with different banks); their sum is
/// TotalAmt. Equality compares lines element by element.
/// </summary>
public sealed record ClearingRequest(
    string AdmDivCode,
    DateOnly ClearDate,
    int VoucherCount,
    Money TotalAmt,
    Money TreasuryAmt,
    Money GrainFundAmt,
    IReadOnlyList<ClearingLine> Lines)
{
    /// <summary>A request over <paramref name="lines"/> with its totals computed (overflow-checked).</summary>
    public static ClearingRequest Of(string admDivCode, DateOnly clearDate, IReadOnlyList<ClearingLine> lines)
    {
        Money treasury = Money.Zero, grain = Money.Zero;
        foreach (var line in lines)
        {
            if (line.FundChannel == FundChannel.GRAIN_FUND) grain += line.PaidAmt;
            else treasury += line.PaidAmt;
        }
        return new ClearingRequest(admDivCode, clearDate, lines.Count, treasury + grain, treasury, grain, lines);
    }

    /// <inheritdoc />
    public bool Equals(ClearingRequest? other) =>
        other is not null && AdmDivCode == other.AdmDivCode && ClearDate == other.ClearDate && VoucherCount == other.VoucherCount
        && TotalAmt == other.TotalAmt && TreasuryAmt == other.TreasuryAmt && GrainFundAmt == other.GrainFundAmt && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(AdmDivCode, ClearDate, VoucherCount, TotalAmt);
}

/// <summary>
/// Writes and reads <see cref="ClearingRequest"/> as flat XML with root <c>&lt;Clearing&gt;</c>: AdmDivCode,
/// ClearDate (yyyy-MM-dd), VoucherCount, TotalAmt, TreasuryAmt, GrainFundAmt, then
/// <c>&lt;Lines&gt;&lt;Line PayAcctNo=".." DeptName=".." VoucherNo=".." PaidAmt=".." FundChannel=".." BusinessDate=".."/&gt;…&lt;/Lines&gt;</c>.
/// </summary>
public static class ClearingRequestXml
{
    /// <summary>The root element.</summary>
    public const string Root = "Clearing";

    private static readonly string[] Fields = ["AdmDivCode", "ClearDate", "VoucherCount", "TotalAmt", "TreasuryAmt", "GrainFundAmt"];

    private static readonly string[] LineAttributes = ["PayAcctNo", "DeptName", "VoucherNo", "PaidAmt", "FundChannel", "BusinessDate"];

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
            ("TreasuryAmt", FlatXml.Text(request.TreasuryAmt)),
            ("GrainFundAmt", FlatXml.Text(request.GrainFundAmt)),
        ]);
        w.WriteStartElement(FlatXml.LinesElement);
        foreach (var line in request.Lines)
        {
            w.WriteStartElement(FlatXml.LineElement);
            w.WriteAttributeString("PayAcctNo", line.PayAcctNo);
            w.WriteAttributeString("DeptName", line.DeptName);
            w.WriteAttributeString("VoucherNo", line.VoucherNo);
            w.WriteAttributeString("PaidAmt", line.PaidAmt.ToString());
            w.WriteAttributeString("FundChannel", line.FundChannel.ToString());
            w.WriteAttributeString("BusinessDate", FlatXml.Text(line.BusinessDate));
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
            d.LineMoney(l, "PaidAmt"),
            Enum.TryParse<FundChannel>(d.LineAttribute(l, "FundChannel"), out var channel) && Enum.IsDefined(channel)
                ? channel : throw d.Error(l.FileLine, "FundChannel", "expected TREASURY or GRAIN_FUND"),
            FieldRules.ParseDate(d.LineAttribute(l, "BusinessDate")) ?? throw d.Error(l.FileLine, "BusinessDate", "expected a date yyyy-MM-dd"))).ToList();
        return new ClearingRequest(
            d.Match("AdmDivCode", s => FieldRules.IsDigits(s, 6, 6), "6 digits"),
            d.Date("ClearDate"),
            d.Count("VoucherCount"),
            d.Money("TotalAmt"),
            d.Money("TreasuryAmt"),
            d.Money("GrainFundAmt"),
            lines);
    }
}
