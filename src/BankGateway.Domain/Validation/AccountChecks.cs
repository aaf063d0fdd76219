using BankGateway.Domain.Codes;
using BankGateway.Domain.Identity;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Domain.Validation;

/// <summary>
/// The account checks F08–F15 for one line, in contract order. The database applies the same
/// rules set-based; this pure version is their specification and is what the tests pin down.
/// </summary>
public static class AccountChecks
{
    /// <summary>
    /// Checks a line's 姓名 and 证件号码 against the account it names: absent → F08, holder name
    /// differs → F09, holder ID differs (x/X alike) → F10, then the status: 销户 F11, 冻结 F12,
    /// 久悬 F13, 未激活 F14, 挂失 F15. Identity comes before status because paying someone else's
    /// account is the worse error to report.
    /// </summary>
    /// <remarks>Names compare ordinally after trimming surrounding whitespace.</remarks>
    public static FailureCode Check(string lineName, string lineId, AccountHolder? account)
    {
        if (account is null) return FailureCode.F08;
        if (!lineName.AsSpan().Trim().SequenceEqual(account.HolderName.AsSpan().Trim())) return FailureCode.F09;
        if (!ResidentId.SameId(lineId, account.IdNumber)) return FailureCode.F10;
        return account.Status switch
        {
            AccountStatus.Normal => FailureCode.None,
            AccountStatus.Closed => FailureCode.F11,
            AccountStatus.Frozen => FailureCode.F12,
            AccountStatus.Dormant => FailureCode.F13,
            AccountStatus.Inactive => FailureCode.F14,
            AccountStatus.Lost => FailureCode.F15,
            // An unknown status must never let money through.
            _ => throw new ArgumentOutOfRangeException(nameof(account), account.Status, "unknown account status"),
        };
    }
}
