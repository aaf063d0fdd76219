using Dapper;
using Npgsql;

namespace BankGateway.Worker.Posting;

/// <summary>
/// Which worker posts which voucher: a row claim taken with FOR UPDATE SKIP LOCKED and held by a
/// lease that every committed chunk renews. A dead worker's claim lapses and another takes over;
/// the chunk marks make the takeover pay nothing twice.
/// </summary>
internal sealed class VoucherClaims(NpgsqlDataSource db)
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    public string WorkerId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}"[..^24];

    /// <summary>Claims the oldest voucher waiting to post, or null when none is free.</summary>
    public async Task<long?> ClaimNextAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition("""
            update vouchers set claimed_by = @me, claim_expires_at = now() + @lease
            where id = (
                select id from vouchers
                where status in ('RECEIVED', 'POSTING')
                  and (claimed_by is null or claimed_by = @me or claim_expires_at < now())
                order by received_at, id
                limit 1
                for update skip locked)
            returning id
            """, new { me = WorkerId, lease = Lease }, cancellationToken: ct));
    }

    public async Task ReleaseAsync(long voucherId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update vouchers set claimed_by = null, claim_expires_at = null where id = @voucherId and claimed_by = @me",
            new { voucherId, me = WorkerId }, cancellationToken: ct));
    }
}
