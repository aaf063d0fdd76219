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

    /// <summary>
    /// The exact sum of a list's amounts, overflow-checked (contract §12): a list of 13-digit amounts can
    /// exceed 64 bits, and a wrapped sum must never happen to equal PayAmt. Once it overflows it stays
    /// "over", which equals no PayAmt.
    /// </summary>
    public sealed class CheckedSum
    {
        private long _fen;

        public bool Overflowed { get; private set; }

        /// <summary>The sum in fen; -1 (equal to no amount) once it overflowed.</summary>
        public long Fen => Overflowed ? -1 : _fen;

        public void Add(long fen)
        {
            if (Overflowed) return;
            try { _fen = checked(_fen + fen); }
            catch (OverflowException) { Overflowed = true; }
        }

        /// <summary>The sum as yuan text for an RJ_ detail.</summary>
        public string Describe() => Overflowed ? $"more than {new Money(long.MaxValue)}" : new Money(_fen).ToString();
    }
}
