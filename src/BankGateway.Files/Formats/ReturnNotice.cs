using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Files.Formats;

/// <summary>One returned line of a TH_ notice: the list's 序号, its amount and its failure code.</summary>
public sealed record ReturnLine(string SeqNo, Money Amount, FailureCode Code);

/// <summary>
/// The return notice <c>TH_&lt;AdmDivCode&gt;_&lt;VoucherNo&gt;.xml</c> (资金退回通知, contract §7), written when the
/// return is executed. Equality compares <see cref="Lines"/> element by element.
/// </summary>
public sealed record ReturnNotice(
    string VoucherNo,
    string AdmDivCode,
    FundChannel FundChannel,
    string ReturnAcctNo,
    string ReturnAcctName,
    DateOnly ReturnDate,
    int ReturnCount,
    Money ReturnAmt,
    IReadOnlyList<ReturnLine> Lines)
{
    /// <inheritdoc />
    public bool Equals(ReturnNotice? other) =>
        other is not null && VoucherNo == other.VoucherNo && AdmDivCode == other.AdmDivCode && FundChannel == other.FundChannel
        && ReturnAcctNo == other.ReturnAcctNo && ReturnAcctName == other.ReturnAcctName && ReturnDate == other.ReturnDate
        && ReturnCount == other.ReturnCount && ReturnAmt == other.ReturnAmt && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(VoucherNo, AdmDivCode, ReturnDate, ReturnCount, ReturnAmt);
}

/// <summary>
/// Writes and reads <see cref="ReturnNotice"/> as flat XML with root <c>&lt;Return&gt;</c>: VoucherNo, AdmDivCode,
/// FundChannel, ReturnAcctNo, ReturnAcctName, ReturnDate, ReturnCount, ReturnAmt, then
/// <c>&lt;Lines&gt;&lt;Line SeqNo=".." Amount=".." Code=".."/&gt;…&lt;/Lines&gt;</c>.
/// </summary>
public static class ReturnNoticeXml
{
    /// <summary>The root element.</summary>
    public const string Root = "Return";

    private static readonly string[] Fields =
        ["VoucherNo", "AdmDivCode", "FundChannel", "ReturnAcctNo", "ReturnAcctName", "ReturnDate", "ReturnCount", "ReturnAmt"];

    private static readonly string[] LineAttributes = ["SeqNo", "Amount", "Code"];

    /// <summary>Writes the notice (UTF-8 without BOM, indented).</summary>
    public static void Write(ReturnNotice notice, Stream stream)
    {
        using var w = FlatXml.CreateWriter(stream);
        w.WriteStartElement(Root);
        FlatXml.WriteFields(w,
        [
            ("VoucherNo", notice.VoucherNo),
            ("AdmDivCode", notice.AdmDivCode),
            ("FundChannel", notice.FundChannel.ToString()),
            ("ReturnAcctNo", notice.ReturnAcctNo),
            ("ReturnAcctName", notice.ReturnAcctName),
            ("ReturnDate", FlatXml.Text(notice.ReturnDate)),
            ("ReturnCount", FlatXml.Text(notice.ReturnCount)),
            ("ReturnAmt", FlatXml.Text(notice.ReturnAmt)),
        ]);
        w.WriteStartElement(FlatXml.LinesElement);
        foreach (var line in notice.Lines)
        {
            w.WriteStartElement(FlatXml.LineElement);
            w.WriteAttributeString("SeqNo", line.SeqNo);
            w.WriteAttributeString("Amount", line.Amount.ToString());
            w.WriteAttributeString("Code", line.Code.ToString());
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>Reads a notice; throws <see cref="FileFormatException"/> naming the element at fault.</summary>
    public static ReturnNotice Read(Stream stream, string fileName)
    {
        var d = FlatXml.Read(stream, fileName, Root, Fields, LineAttributes);
        var lines = d.Lines.Select(l => new ReturnLine(
            d.LineAttribute(l, "SeqNo"),
            d.LineMoney(l, "Amount"),
            ParseCode(d, l))).ToList();
        return new ReturnNotice(
            d.Match("VoucherNo", s => FieldRules.IsVoucherNo(s), "a voucher number"),
            d.Match("AdmDivCode", s => FieldRules.IsDigits(s, 6, 6), "6 digits"),
            d.Parse("FundChannel", s => s is "TREASURY" ? FundChannel.TREASURY : s is "GRAIN_FUND" ? FundChannel.GRAIN_FUND : (FundChannel?)null, "TREASURY or GRAIN_FUND"),
            d.Required("ReturnAcctNo"),
            d.Raw("ReturnAcctName"),
            d.Date("ReturnDate"),
            d.Count("ReturnCount"),
            d.Money("ReturnAmt"),
            lines);
    }

    private static FailureCode ParseCode(FlatDocument d, FlatLine l)
    {
        var s = d.LineAttribute(l, "Code");
        return s.Length == 3 && s[0] == 'F' && Enum.TryParse<FailureCode>(s, out var c) && c != FailureCode.None
            ? c
            : throw d.Error(l.FileLine, "Code", $"expected a failure code F01–F15, got {FileFormatException.Shown(s)}");
    }
}
