using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;

namespace BankGateway.Files.Tests.Formats;

/// <summary>Small, valid instances of every contract file for the format tests.</summary>
internal static class FormatSamples
{
    public const string VoucherFile = "PV_522726_ZF2024000123.xml";
    public const string ListFile = "QC_522726_ZF2024000123.csv";

    public static Voucher Voucher(DetailEncoding encoding = DetailEncoding.Utf8, string? reissueOf = null) => new(
        VtCode: "5201",
        AdmDivCode: "522726",
        StYear: 2024,
        VoucherNo: "ZF2024000123",
        VouDate: new DateOnly(2024, 3, 15),
        DeptCode: "105001",
        DeptName: "独山县民政局",
        SubsidyCode: "MZ001",
        SubsidyName: "城乡居民最低生活保障金",
        Period: "2024-03",
        PayAcctNo: "2401009900012345",
        PayAcctName: "独山县民政局零余额账户",
        FundChannel: FundChannel.TREASURY,
        ReturnAcctNo: "2401009900000001",
        ReturnAcctName: "独山县财政局国库单一账户",
        PayAmt: Money.Parse("700.00"),
        DetailCount: 2,
        DetailFile: ListFile,
        DetailFileSm3: new string('a', 64),
        DetailEncoding: encoding,
        ReissueOf: reissueOf);

    public static string VoucherXmlText(Voucher? voucher = null)
    {
        using var ms = new MemoryStream();
        VoucherXml.Write(voucher ?? Voucher(), ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    public static VoucherReadResult ReadVoucher(string xml) => VoucherXml.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)), VoucherFile);

    public static IssuanceLine Line(long fileLine, string seq, string name = "张三", string remark = "") => new(
        fileLine, seq, name, "52272619800101001X", "6217001234567890123", "独山县民政局", "城乡居民最低生活保障金",
        "350.00", "2024-03", "13800138000", "", "", remark);

    public static IssuanceLine[] Lines() =>
    [
        Line(2, "1", "张三"),
        Line(3, "2", "李四", remark: "含逗号,和\"引号\""),
        Line(4, "3", "王五", remark: "分号;备注"),
        Line(5, "4", "赵六"),
    ];

    public static byte[] ListBytes(IEnumerable<IssuanceLine> lines, DetailEncoding encoding = DetailEncoding.Utf8, bool bom = false)
    {
        using var ms = new MemoryStream();
        using (var w = new IssuanceListWriter(ms, encoding, bom, leaveOpen: true))
            foreach (var l in lines) w.Write(l);
        return ms.ToArray();
    }

    public static Encoding Gb18030
    {
        get
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            return Encoding.GetEncoding("GB18030", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }
    }

    public static byte[] Utf8(string text) => new UTF8Encoding(false).GetBytes(text);

    public static List<IssuanceLine> ReadList(byte[] bytes, DetailEncoding encoding = DetailEncoding.Utf8)
    {
        using var r = new IssuanceListReader(new MemoryStream(bytes), encoding, ListFile);
        return r.ReadLines().ToList();
    }

    public const string ListHeader = "序号,姓名,证件号码,银行账号,主管部门,补贴名称,金额,发放周期,手机号码,原凭证号,原序号,备注";

    public const string ListRow = "1,张三,52272619800101001X,6217001234567890123,独山县民政局,城乡居民最低生活保障金,350.00,2024-03,13800138000,,,";
}
