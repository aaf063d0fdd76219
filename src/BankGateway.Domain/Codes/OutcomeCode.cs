namespace BankGateway.Domain.Codes;

/// <summary>Line-level failure codes F01–F15 (contract §5). The first failing check in this order wins.</summary>
public enum FailureCode
{
    None = 0,
    F01 = 1, F02, F03, F04, F05, F06, F07, F08, F09, F10, F11, F12, F13, F14, F15,
}

/// <summary>Voucher-level rejection codes R01–R07 (contract §5). Nothing of a rejected voucher is posted.</summary>
public enum RejectCode
{
    None = 0,
    R01 = 1, R02, R03, R04, R05, R06, R07,
}
