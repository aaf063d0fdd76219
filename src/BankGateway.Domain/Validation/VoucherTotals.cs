using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Domain.Validation;

/// <summary>
/// The voucher-level R03 check: the issuance list's line count must equal <c>DetailCount</c> and
/// the sum of its line amounts must equal <c>PayAmt</c>.
/// </summary>
public static class VoucherTotals
{
    /// <summary><see cref="RejectCode.R03"/> when count or sum differs from the voucher, otherwise <see cref="RejectCode.None"/>.</summary>
    public static RejectCode Check(long lineCount, Money lineSum, Voucher voucher) =>
        lineCount == voucher.DetailCount && lineSum == voucher.PayAmt ? RejectCode.None : RejectCode.R03;

    /// <summary>A detail for the RJ_ notice saying what differs, or null when the totals agree.</summary>
    public static string? Explain(long lineCount, Money lineSum, Voucher voucher)
    {
        if (lineCount != voucher.DetailCount)
            return $"明细笔数 {lineCount} 与凭证 DetailCount {voucher.DetailCount} 不符 (line count differs from the voucher)";
        if (lineSum != voucher.PayAmt)
            return $"明细金额合计 {lineSum} 与凭证 PayAmt {voucher.PayAmt} 不符 (sum of line amounts differs from the voucher)";
        return null;
    }
}
