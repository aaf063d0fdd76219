namespace BankGateway.Domain.States;

/// <summary>
/// One delivery of one outbound file to its bureau (file_deliveries.state): PENDING when the file is produced or a
/// re-send is asked for, DELIVERED once the bureau holds the file and its .sig, SUPERSEDED when the file was produced
/// anew under the same name before this delivery went out. DELIVERED and SUPERSEDED are final; a re-send is a new row.
/// </summary>
public sealed record FileDeliveryState : State
{
    public static readonly FileDeliveryState Pending = new("PENDING");
    public static readonly FileDeliveryState Delivered = new("DELIVERED");
    public static readonly FileDeliveryState Superseded = new("SUPERSEDED");

    /// <summary>The members and the allowed moves.</summary>
    public static readonly StateMachine<FileDeliveryState> Machine = new(
        [Pending, Delivered, Superseded],
        [(null, Pending), (null, Delivered), (Pending, Delivered), (Pending, Superseded)]);

    private FileDeliveryState(string text)
        : base(text)
    {
    }

    public static IReadOnlyList<FileDeliveryState> All => Machine.Members;

    public static bool CanMove(FileDeliveryState? from, FileDeliveryState to) => Machine.CanMove(from, to);

    public static FileDeliveryState Parse(string text) => Machine.Parse(text);
}
