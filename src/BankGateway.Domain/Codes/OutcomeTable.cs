namespace BankGateway.Domain.Codes;

/// <summary>
/// The one table of every outcome code with its Chinese reason and trigger. Validator, result
/// writers, dashboard and docs all read it, so a reason text is spelled exactly once.
/// </summary>
public static class OutcomeTable
{
    public sealed record Entry(string Code, string Reason, string Trigger);

    public static readonly IReadOnlyList<Entry> Failures =
    [
        new("F01", "必填项缺失", "序号, 姓名, 证件号码, 银行账号, 主管部门, 补贴名称, 金额 or 发放周期 empty"),
        new("F02", "证件号码校验错误", "ID format, birth date or check digit invalid"),
        new("F03", "银行账号格式错误", "not 16–19 digits or Luhn fails"),
        new("F04", "金额无效", "not positive, not exactly 2 decimals, or above the catalogue's per-line cap"),
        new("F05", "三要素不符", "主管部门, 补贴名称 or 发放周期 differ from the voucher's"),
        new("F06", "同批重复", "same 证件号码 appears earlier in this voucher (the first occurrence is paid)"),
        new("F07", "重复发放", "this 证件号码 was already paid for this subsidy and period by an earlier voucher"),
        new("F08", "账号不存在", "account not held at this bank"),
        new("F09", "户名不符", "account holder name ≠ 姓名"),
        new("F10", "证件号不符", "account holder ID ≠ 证件号码"),
        new("F11", "账户已销户", "account closed"),
        new("F12", "账户冻结", "account frozen"),
        new("F13", "账户久悬", "account dormant"),
        new("F14", "社保卡金融功能未激活", "card's financial function not activated"),
        new("F15", "账户挂失", "card reported lost"),
    ];

    public static readonly IReadOnlyList<Entry> Rejections =
    [
        new("R01", "签名验证失败", "voucher .sig not valid for the channel's finance public key"),
        new("R02", "明细文件摘要不符", "the detail file's SM3 differs from DetailFileSm3"),
        new("R03", "笔数或金额不符", "line count ≠ DetailCount or sum of line amounts ≠ PayAmt"),
        new("R04", "凭证号重复", "same AdmDivCode+VoucherNo already received with different content"),
        new("R05", "凭证格式错误", "XML malformed, a DOCTYPE or entity declaration present, or a voucher field missing/invalid"),
        new("R06", "明细格式错误", "wrong header, undecodable bytes in the declared encoding, wrong column count"),
        new("R07", "补贴项目不在目录", "DeptName+SubsidyName not in the catalogue for StYear"),
    ];

    public static string Reason(FailureCode code) =>
        code == FailureCode.None ? "" : Failures[(int)code - 1].Reason;

    public static string Reason(RejectCode code) =>
        code == RejectCode.None ? "" : Rejections[(int)code - 1].Reason;

    public static FailureCode ParseFailure(string code) =>
        Enum.TryParse<FailureCode>(code, out var c) && c != FailureCode.None ? c
            : throw new ArgumentException($"unknown failure code '{code}'", nameof(code));
}
