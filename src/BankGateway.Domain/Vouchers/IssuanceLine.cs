namespace BankGateway.Domain.Vouchers;

/// <summary>
/// One line of the issuance list (统发清册, contract §4) exactly as read: raw text fields, not yet
/// validated. <see cref="FileLine"/> is the physical line number in the file (header = 1) for error messages.
/// </summary>
public sealed record IssuanceLine(
    long FileLine,
    string SeqNo,
    string Name,
    string IdNumber,
    string AccountNo,
    string DeptName,
    string SubsidyName,
    string Amount,
    string Period,
    string Phone,
    string OrigVoucherNo,
    string OrigSeqNo,
    string Remark)
{
    /// <summary>The header row, in contract order.</summary>
    public static readonly string[] Header =
        ["序号", "姓名", "证件号码", "银行账号", "主管部门", "补贴名称", "金额", "发放周期", "手机号码", "原凭证号", "原序号", "备注"];
}
