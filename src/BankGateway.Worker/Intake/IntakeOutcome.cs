using BankGateway.Domain.Codes;

namespace BankGateway.Worker.Intake;

/// <summary>What happened to one voucher set at intake.</summary>
internal enum IntakeKind
{
    /// <summary>Recorded with all its lines; ready to post.</summary>
    Accepted,
    /// <summary>Refused as a whole with an R code; an RJ_ notice answers it.</summary>
    Rejected,
    /// <summary>Identical to a set already taken: acknowledged again, never re-posted.</summary>
    Redelivered,
}

internal sealed record IntakeOutcome(IntakeKind Kind, string AdmDivCode, string VoucherNo, long? VoucherId, RejectCode Code = RejectCode.None, string? Detail = null);
