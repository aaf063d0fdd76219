using System.Globalization;
using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Testing.Vouchers;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// A small voucher set made to order for one rule: lines for people 1..n of <see cref="LargeVoucher"/>'s
/// account master, then one change (a field, the CSV text, the XML text, the signing key).
/// </summary>
internal sealed class VoucherBuilder(string voucherNo, params IssuanceLine[] lines)
{
    public string VoucherNo { get; } = voucherNo;
    public List<IssuanceLine> Lines { get; } = [.. lines];
    public Func<Voucher, Voucher> Voucher { get; init; } = v => v;
    public Func<string, string> Csv { get; init; } = s => s;
    public Func<string, string> Xml { get; init; } = s => s;
    public DetailEncoding Encoding { get; init; } = DetailEncoding.Utf8;
    public Sm2PrivateKey? SignWith { get; init; }

    public static IssuanceLine Line(int seq, long person, string amount = "350.00", string period = LargeVoucher.Period,
        string? name = null, string? id = null, string? account = null, string origVoucher = "", string origSeq = "") =>
        new(0, seq.ToString(CultureInfo.InvariantCulture), name ?? LargeVoucher.Name(person), id ?? LargeVoucher.IdNumber(person),
            account ?? LargeVoucher.Account(person), LargeVoucher.DeptName, LargeVoucher.SubsidyName, amount, period, "", origVoucher, origSeq, "");

    private static System.Text.Encoding TextOf(DetailEncoding encoding)
    {
        if (encoding == DetailEncoding.Utf8) return new UTF8Encoding(false);
        System.Text.Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return System.Text.Encoding.GetEncoding("GB18030");
    }

    /// <summary>Writes PV_, its .sig and QC_ into <paramref name="inbox"/>; PayAmt is the sum of the reported amounts.</summary>
    public void WriteTo(string inbox, Sm2PrivateKey financeKey)
    {
        Directory.CreateDirectory(inbox);
        string detailName = FileNames.IssuanceList(LargeVoucher.AdmDivCode, VoucherNo);
        string detailPath = Path.Combine(inbox, detailName);
        using (var buffer = new MemoryStream())
        {
            using (var writer = new IssuanceListWriter(buffer, Encoding, leaveOpen: true))
                foreach (var line in Lines) writer.Write(line);
            var enc = TextOf(Encoding);
            File.WriteAllBytes(detailPath, enc.GetBytes(Csv(enc.GetString(buffer.ToArray()))));
        }
        // Wrapping on purpose: a test may build a list whose sum passes 64 bits and then states PayAmt itself.
        long sum = 0;
        foreach (var l in Lines) sum = unchecked(sum + (BankGateway.Domain.Validation.ReportedAmount.Fen(l.Amount) ?? 0));
        var voucher = Voucher(new Voucher("5201", LargeVoucher.AdmDivCode, 2024, VoucherNo, new DateOnly(2024, 9, 29), "105001",
            LargeVoucher.DeptName, "MZ001", LargeVoucher.SubsidyName, Lines.Count > 0 ? Lines[0].Period : LargeVoucher.Period, "2401009900012345",
            "独山县民政局零余额账户", FundChannel.TREASURY, "2401009900000001", "独山县财政局国库单一账户", new Money(sum), Lines.Count,
            detailName, Sm3.HashFileHex(detailPath), Encoding, null));
        string voucherPath = Path.Combine(inbox, FileNames.Voucher(LargeVoucher.AdmDivCode, VoucherNo));
        using (var buffer = new MemoryStream())
        {
            VoucherXml.Write(voucher, buffer);
            File.WriteAllText(voucherPath, Xml(System.Text.Encoding.UTF8.GetString(buffer.ToArray())), new UTF8Encoding(false));
        }
        SignatureFile.Write(voucherPath, SignWith ?? financeKey);
    }
}
