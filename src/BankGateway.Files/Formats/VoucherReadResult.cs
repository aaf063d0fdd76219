using System.Diagnostics.CodeAnalysis;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Files.Formats;

/// <summary>
/// Outcome of <see cref="VoucherXml.Read"/>: either a <see cref="Vouchers.Voucher"/> checked field by field,
/// or the first problem found (malformed XML, DOCTYPE, size, a missing or invalid field), which
/// rejects the voucher with <see cref="RejectCode.R05"/>.
/// </summary>
public sealed class VoucherReadResult
{
    private VoucherReadResult(Voucher? voucher, FileFormatException? error)
    {
        Voucher = voucher;
        Exception = error;
    }

    internal static VoucherReadResult Ok(Voucher voucher) => new(voucher, null);

    internal static VoucherReadResult Failed(FileFormatException error) => new(null, error);

    /// <summary>The voucher when it was valid.</summary>
    public Voucher? Voucher { get; }

    /// <summary>True when <see cref="Voucher"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Voucher))]
    [MemberNotNullWhen(false, nameof(Exception), nameof(Error))]
    public bool IsValid => Voucher is not null;

    /// <summary>R05 when invalid, else None.</summary>
    public RejectCode Code => IsValid ? RejectCode.None : RejectCode.R05;

    /// <summary>The element at fault (e.g. <c>PayAmt</c>), or null when the document as a whole is malformed.</summary>
    public string? Field => Exception?.Field;

    /// <summary>The full message for the RJ_ notice's Detail, e.g. <c>PV_522726_X.xml line 17 (PayAmt): expected ...</c>.</summary>
    public string? Error => Exception?.Message;

    /// <summary>The problem as an exception object (never thrown by the reader).</summary>
    public FileFormatException? Exception { get; }
}
