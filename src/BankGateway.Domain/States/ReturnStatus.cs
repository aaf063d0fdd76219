namespace BankGateway.Domain.States;

/// <summary>
/// A voucher's return of failed money (returns.status): SCHEDULED when posting completes with failures,
/// EXECUTED on its due working day (or early, by an operator). EXECUTED is final.
/// </summary>
public sealed record ReturnStatus : State
{
    public static readonly ReturnStatus Scheduled = new("SCHEDULED");
    public static readonly ReturnStatus Executed = new("EXECUTED");

    /// <summary>The members and the allowed moves.</summary>
    public static readonly StateMachine<ReturnStatus> Machine = new(
        [Scheduled, Executed],
        [(null, Scheduled), (Scheduled, Executed)]);

    private ReturnStatus(string text)
        : base(text)
    {
    }

    public static IReadOnlyList<ReturnStatus> All => Machine.Members;

    public static bool CanMove(ReturnStatus? from, ReturnStatus to) => Machine.CanMove(from, to);

    public static ReturnStatus Parse(string text) => Machine.Parse(text);
}
