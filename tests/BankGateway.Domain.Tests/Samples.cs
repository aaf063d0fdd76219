using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Domain.Tests;

/// <summary>A valid voucher, catalogue entry and issuance line; tests change one field with <c>with</c>.</summary>
internal static class Samples
{
    public const string ValidId = "11010519491231002X";       // GB 11643 published example
    public const string ValidAccount = "6222021234567890128";  // 19 digits, Luhn check digit 8

    public static readonly Voucher PaymentVoucher = new(
        VtCode: "5201", AdmDivCode: "522726", StYear: 2024, VoucherNo: "ZF2024000123",
        VouDate: new DateOnly(2024, 3, 15), DeptCode: "105001", DeptName: "独山县民政局",
        SubsidyCode: "MZ001", SubsidyName: "城乡居民最低生活保障金", Period: "2024-03",
        PayAcctNo: "2401009900012345", PayAcctName: "独山县民政局零余额账户",
        FundChannel: FundChannel.TREASURY, ReturnAcctNo: "2401009900000001",
        ReturnAcctName: "独山县财政局国库单一账户", PayAmt: Money.Parse("875000.00"), DetailCount: 2500,
        DetailFile: "QC_522726_ZF2024000123.csv", DetailFileSm3: new string('a', 64),
        DetailEncoding: DetailEncoding.Utf8, ReissueOf: null);

    public static readonly CatalogueEntry Entry = new(
        2024, "县级", "独山县民政局", "MZ001", "城乡居民最低生活保障金", FundChannel.TREASURY, "按月", Money.Parse("1000.00"));

    public static readonly IssuanceLine Line = new(
        FileLine: 2, SeqNo: "1", Name: "张三", IdNumber: ValidId, AccountNo: ValidAccount,
        DeptName: "独山县民政局", SubsidyName: "城乡居民最低生活保障金", Amount: "350.00", Period: "2024-03",
        Phone: "13812345678", OrigVoucherNo: "", OrigSeqNo: "", Remark: "");
}
