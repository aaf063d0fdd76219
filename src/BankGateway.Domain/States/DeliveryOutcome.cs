namespace BankGateway.Domain.States;

/// <summary>
/// What intake decided about one delivered set (deliveries.outcome). Decided once when the set is
/// taken and never changed: a re-delivery is a new set, so there are no moves after creation.
/// </summary>
public sealed record DeliveryOutcome : State
{
    public static readonly DeliveryOutcome Accepted = new("ACCEPTED");
    public static readonly DeliveryOutcome Rejected = new("REJECTED");

    /// <summary>The members; a delivery is only ever created in one of them.</summary>
    public static readonly StateMachine<DeliveryOutcome> Machine = new(
        [Accepted, Rejected],
        [(null, Accepted), (null, Rejected)]);

    private DeliveryOutcome(string text)
        : base(text)
    {
    }

    public static IReadOnlyList<DeliveryOutcome> All => Machine.Members;

    public static DeliveryOutcome Parse(string text) => Machine.Parse(text);
}
