namespace BankGateway.Domain.Vouchers;

/// <summary>Status of a beneficiary account in the bank's account master (contract §9).</summary>
public enum AccountStatus
{
    /// <summary>正常</summary>
    Normal = 0,
    /// <summary>销户 — F11</summary>
    Closed = 1,
    /// <summary>冻结 — F12</summary>
    Frozen = 2,
    /// <summary>久悬 — F13</summary>
    Dormant = 3,
    /// <summary>未激活 (social-security card's financial function not activated) — F14</summary>
    Inactive = 4,
    /// <summary>挂失 — F15</summary>
    Lost = 5,
}
