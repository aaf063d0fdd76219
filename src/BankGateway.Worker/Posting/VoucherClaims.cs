using Dapper;
using Npgsql;

namespace BankGateway.Worker.Posting;

/// <summary>
/// Which worker posts which voucher: a row claim taken with FOR UPDATE SKIP LOCKED, held by a lease
/// that every committed chunk renews and by the worker's own PostgreSQL session. A claim lapses when
/// its lease expires or its session is gone (the worker died: the server closes its session), so
/// another worker takes over at once; the chunk marks make the takeover pay nothing twice.
/// </summary>
internal sealed class VoucherClaims(NpgsqlDataSource db, int smallVoucherLines) : IAsyncDisposable
{
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private NpgsqlConnection? _session;
    private int _sessionPid;

    public string WorkerId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Claims the next voucher waiting to post, or null when none is free: small ones (at most
    /// <c>smallVoucherLines</c> lines) first, each group oldest first (D48). With <paramref name="smallOnly"/>
    /// only a small one (what a worker posts between the chunks of a large voucher).
    /// </summary>
    public async Task<long?> ClaimNextAsync(CancellationToken ct, bool smallOnly = false) => (await ClaimAsync(ct, smallOnly))?.Id;

    /// <summary>A claimed voucher and whether it is a small one (D48).</summary>
    public readonly record struct Claim(long Id, bool Small);

    /// <summary>As <see cref="ClaimNextAsync"/>, telling whether the voucher claimed is a small one.</summary>
    public async Task<Claim?> ClaimAsync(CancellationToken ct, bool smallOnly = false)
    {
        await EnsureSessionAsync(ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, int Lines)?>(new CommandDefinition("""
            update vouchers set claimed_by = @me, claim_pid = @pid, claim_expires_at = now() + @lease
            where id = (
                select id from vouchers v
                where status in ('RECEIVED', 'POSTING')
                  and (claimed_by is null or claimed_by = @me or claim_expires_at < now()
                       or not exists (select 1 from pg_stat_activity a where a.pid = v.claim_pid))
                  and (not @smallOnly or detail_count <= @small)
                order by detail_count > @small, received_at, id
                limit 1
                for update skip locked)
            returning id, detail_count
            """, new { me = WorkerId, pid = _sessionPid, lease = Lease, small = smallVoucherLines, smallOnly }, cancellationToken: ct));
        return row is { } r ? new Claim(r.Id, r.Lines <= smallVoucherLines) : null;
    }

    /// <summary>Vouchers still waiting to post that another live worker holds.</summary>
    public async Task<int> HeldElsewhereAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            select count(*)::int from vouchers where status in ('RECEIVED', 'POSTING') and claimed_by is not null and claimed_by <> @me
            """, new { me = WorkerId }, cancellationToken: ct));
    }

    public async Task ReleaseAsync(long voucherId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update vouchers set claimed_by = null, claim_pid = null, claim_expires_at = null where id = @voucherId and claimed_by = @me",
            new { voucherId, me = WorkerId }, cancellationToken: ct));
    }

    // One idle session per worker stands for its liveness; it is never used for work.
    private async Task EnsureSessionAsync(CancellationToken ct)
    {
        if (_session is not null) return;
        _session = await db.OpenConnectionAsync(ct);
        _sessionPid = _session.ProcessID;
    }

    public async ValueTask DisposeAsync()
    {
        if (_session is not null) await _session.DisposeAsync();
    }
}
