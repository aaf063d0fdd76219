namespace BankGateway.Domain.States;

/// <summary>
/// Where an accepted voucher stands (vouchers.status). Intake creates it RECEIVED; posting funds it
/// (POSTING) and completes it once every chunk is committed; an operator or the quarantine holds a
/// voucher that has not completed, and a release sends it back to RECEIVED. COMPLETED is final.
/// </summary>
public sealed record VoucherStatus : State
{
    public static readonly VoucherStatus Received = new("RECEIVED");
    public static readonly VoucherStatus Held = new("HELD");
    public static readonly VoucherStatus Posting = new("POSTING");
    public static readonly VoucherStatus Completed = new("COMPLETED");

    /// <summary>The members and the allowed moves.</summary>
    public static readonly StateMachine<VoucherStatus> Machine = new(
        [Received, Held, Posting, Completed],
        [
            (null, Received),
            (Received, Posting),
            (Received, Held),
            (Posting, Completed),
            (Posting, Held),
            (Held, Received),
        ]);

    private VoucherStatus(string text)
        : base(text)
    {
    }

    public static IReadOnlyList<VoucherStatus> All => Machine.Members;

    public static bool CanMove(VoucherStatus? from, VoucherStatus to) => Machine.CanMove(from, to);

    public static VoucherStatus Parse(string text) => Machine.Parse(text);
}
