namespace BankGateway.Domain.Vouchers;

/// <summary>
/// A beneficiary account as held in the bank's account master (contract §9): the facts the
/// account checks F08–F15 compare an issuance line against.
/// </summary>
public sealed record AccountHolder(string AccountNo, string HolderName, string IdNumber, AccountStatus Status);
