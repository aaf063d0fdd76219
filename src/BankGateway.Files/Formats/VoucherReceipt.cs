using BankGateway.Domain;

namespace BankGateway.Files.Formats;

/// <summary>Overall outcome of a voucher in its HD_ receipt.</summary>
public enum ReceiptStatus
{
    /// <summary>Every line credited.</summary>
    PAID,
    /// <summary>Some lines credited, some failed.</summary>
    PARTIAL,
    /// <summary>No line credited.</summary>
    FAILED,
}

/// <summary>
/// The voucher receipt <c>HD_&lt;AdmDivCode&gt;_&lt;VoucherNo&gt;.xml</c> (凭证回单, contract §7).
/// Times are China wall clock to the second; <see cref="ReturnDate"/> is null (an empty element) when nothing failed.
/// <c>PaidAmt + FailedAmt = TotalAmt</c> is the caller's invariant; <see cref="VoucherReceiptXml.Read"/> checks it.
/// </summary>
public sealed record VoucherReceipt(
    string VoucherNo,
    string AdmDivCode,
    ReceiptStatus Status,
    DateTimeOffset ReceivedAt,
    DateTimeOffset CompletedAt,
    int TotalCount,
    Money TotalAmt,
    int PaidCount,
    Money PaidAmt,
    int FailedCount,
    Money FailedAmt,
    string ResultFile,
    string ResultFileSm3,
    DateOnly? ReturnDate);

/// <summary>
/// Writes and reads <see cref="VoucherReceipt"/> as flat XML with root <c>&lt;Receipt&gt;</c>, children in the
/// contract's order: VoucherNo, AdmDivCode, Status, ReceivedAt, CompletedAt, TotalCount, TotalAmt, PaidCount,
/// PaidAmt, FailedCount, FailedAmt, ResultFile, ResultFileSm3, ReturnDate.
/// </summary>
public static class VoucherReceiptXml
{
    /// <summary>The root element.</summary>
    public const string Root = "Receipt";

    private static readonly string[] Fields =
        ["VoucherNo", "AdmDivCode", "Status", "ReceivedAt", "CompletedAt", "TotalCount", "TotalAmt", "PaidCount", "PaidAmt",
         "FailedCount", "FailedAmt", "ResultFile", "ResultFileSm3", "ReturnDate"];

    /// <summary>Writes the receipt (UTF-8 without BOM, indented).</summary>
    public static void Write(VoucherReceipt receipt, Stream stream)
    {
        using var w = FlatXml.CreateWriter(stream);
        w.WriteStartElement(Root);
        FlatXml.WriteFields(w,
        [
            ("VoucherNo", receipt.VoucherNo),
            ("AdmDivCode", receipt.AdmDivCode),
            ("Status", receipt.Status.ToString()),
            ("ReceivedAt", FlatXml.Text(receipt.ReceivedAt)),
            ("CompletedAt", FlatXml.Text(receipt.CompletedAt)),
            ("TotalCount", FlatXml.Text(receipt.TotalCount)),
            ("TotalAmt", FlatXml.Text(receipt.TotalAmt)),
            ("PaidCount", FlatXml.Text(receipt.PaidCount)),
            ("PaidAmt", FlatXml.Text(receipt.PaidAmt)),
            ("FailedCount", FlatXml.Text(receipt.FailedCount)),
            ("FailedAmt", FlatXml.Text(receipt.FailedAmt)),
            ("ResultFile", receipt.ResultFile),
            ("ResultFileSm3", receipt.ResultFileSm3),
            ("ReturnDate", receipt.ReturnDate is { } d ? FlatXml.Text(d) : ""),
        ]);
        w.WriteEndElement();
    }

    /// <summary>Reads a receipt; throws <see cref="FileFormatException"/> naming the element at fault.</summary>
    public static VoucherReceipt Read(Stream stream, string fileName)
    {
        var d = FlatXml.Read(stream, fileName, Root, Fields, lineAttributes: null);
        var receipt = new VoucherReceipt(
            d.Match("VoucherNo", s => FieldRules.IsVoucherNo(s), "a voucher number"),
            d.Match("AdmDivCode", s => FieldRules.IsDigits(s, 6, 6), "6 digits"),
            d.Parse<ReceiptStatus>("Status", s => Enum.TryParse<ReceiptStatus>(s, out var st) && Enum.IsDefined(st) && !char.IsDigit(s[0]) ? st : (ReceiptStatus?)null, "PAID, PARTIAL or FAILED"),
            d.Time("ReceivedAt"),
            d.Time("CompletedAt"),
            d.Count("TotalCount"),
            d.Money("TotalAmt"),
            d.Count("PaidCount"),
            d.Money("PaidAmt"),
            d.Count("FailedCount"),
            d.Money("FailedAmt"),
            d.Required("ResultFile"),
            d.Required("ResultFileSm3"),
            d.Raw("ReturnDate").Length == 0 ? null : d.Date("ReturnDate"));
        if (receipt.PaidAmt + receipt.FailedAmt != receipt.TotalAmt)
            throw d.Error(d.LineOf("TotalAmt"), "TotalAmt", $"expected PaidAmt + FailedAmt = TotalAmt, got {receipt.PaidAmt} + {receipt.FailedAmt} ≠ {receipt.TotalAmt}");
        return receipt;
    }
}
