using BankGateway.Domain.Codes;

namespace BankGateway.Domain.Validation;

/// <summary>
/// The outcome of the per-line field checks F01–F05 (<see cref="LineFieldChecks"/>).
/// </summary>
/// <param name="Code">The first failing code, or <see cref="FailureCode.None"/> when the line passed.</param>
/// <param name="Amount">
/// The parsed 金额 whenever it is well-formed, even when the line failed for another code, so that
/// the voucher's sum (R03) can be taken over every line; null when 金额 is empty or malformed.
/// </param>
/// <param name="Detail">A short English note naming the failing field; null when the line passed.</param>
/// <param name="PhoneWarning">True when a 手机号码 is present but malformed (informational only, never a failure).</param>
public readonly record struct LineCheck(FailureCode Code, Money? Amount, string? Detail, bool PhoneWarning)
{
    /// <summary>True when no field check failed.</summary>
    public bool IsOk => Code == FailureCode.None;
}
