namespace BankGateway.Domain.Identity;

/// <summary>
/// The optional 手机号码 of an issuance line (contract §4): empty, or a mainland mobile number of
/// 11 digits starting with <c>1</c>. A malformed phone is informational only — it has no failure
/// code, so it never fails a line (see <see cref="Validation.LineFieldChecks"/>); results may warn.
/// </summary>
public static class PhoneNumber
{
    /// <summary>Digits in a mainland mobile number.</summary>
    public const int Length = 11;

    /// <summary>True when a phone is given at all (not empty or whitespace-only).</summary>
    public static bool IsPresent(ReadOnlySpan<char> phone) => !phone.IsWhiteSpace();

    /// <summary>True when <paramref name="phone"/> is absent (empty/whitespace) or is 11 digits starting with 1.</summary>
    public static bool IsValid(ReadOnlySpan<char> phone) => !IsPresent(phone) || IsWellFormed(phone);

    /// <summary>True when <paramref name="phone"/> is exactly 11 digits starting with 1 (presence required).</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> phone)
    {
        if (phone.Length != Length || phone[0] != '1') return false;
        foreach (char c in phone)
            if (c is < '0' or > '9') return false;
        return true;
    }

    /// <summary>Why a present phone is malformed, or null when it is valid or absent.</summary>
    public static string? Explain(ReadOnlySpan<char> phone) =>
        IsValid(phone) ? null : "手机号码格式错误 (phone must be 11 digits starting with 1)";
}
