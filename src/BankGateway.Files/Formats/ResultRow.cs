namespace BankGateway.Files.Formats;

/// <summary>
/// One row of the RS_ detail receipt (明细回单, contract §7), as text: one per input line, in input order.
/// <see cref="FailureCode"/>/<see cref="FailureReason"/> are empty on success; <see cref="BankRef"/> and
/// <see cref="PostedAt"/> (<c>yyyy-MM-ddTHH:mm:ss</c>, China time) are empty on failure.
/// </summary>
public sealed record ResultRow(
    string SeqNo,
    string Name,
    string IdNumber,
    string AccountNo,
    string Amount,
    bool Success,
    string FailureCode,
    string FailureReason,
    string BankRef,
    string PostedAt)
{
    /// <summary>The header row, in contract order.</summary>
    public static readonly string[] Header = ["序号", "姓名", "证件号码", "银行账号", "金额", "状态", "失败代码", "失败原因", "银行流水号", "入账时间"];

    /// <summary>状态 of a credited line.</summary>
    public const string Succeeded = "成功";

    /// <summary>状态 of a failed line.</summary>
    public const string Failed = "失败";
}
