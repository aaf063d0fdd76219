
namespace BankGateway.Domain.Vouchers;

/// <summary>A treasury payment voucher (支付凭证, contract §3), already checked field by field.</summary>
public sealed record Voucher(
    string VtCode,
    string AdmDivCode,
    int StYear,
    string VoucherNo,
    DateOnly VouDate,
    string DeptCode,
    string DeptName,
    string SubsidyCode,
    string SubsidyName,
    string Period,
    string PayAcctNo,
    string PayAcctName,
    FundChannel FundChannel,
    string ReturnAcctNo,
    string ReturnAcctName,
    Money PayAmt,
    int DetailCount,
    string DetailFile,
    string DetailFileSm3,
    DetailEncoding DetailEncoding,
    string? ReissueOf);

/// <summary>The declared encoding of the issuance list.</summary>
public enum DetailEncoding
{
    Utf8,
    Gb18030,
}
