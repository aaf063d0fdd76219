namespace BankGateway.Domain.Vouchers;

/// <summary>Where failed money returns: the treasury single account or the grain risk fund special account.</summary>
public enum FundChannel
{
    TREASURY,
    GRAIN_FUND,
}
