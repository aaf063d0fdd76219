namespace BankGateway.Worker.Cli;

/// <summary>Contract §10: 0 success (a rejected voucher or failed line is an outcome), 1 operational failure, 2 bad usage.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}
