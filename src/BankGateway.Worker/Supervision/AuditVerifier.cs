using System.Data;
using BankGateway.Files.Signing;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.Supervision;

/// <summary>
/// <c>audit verify</c>: recomputes the audit chain in C# (SM3 of each entry's canonical text, <see cref="AuditEntryHash"/>)
/// in id order, streaming, and names the first entry that breaks it. Ids are bigserial, so gaps are normal
/// (rolled-back inserts); a removed entry shows as the next entry's <c>prev_sm3</c> not matching. Removing the
/// newest entries shows as the chain head (<c>audit_chain_head</c>, moved by the trigger) naming an entry that is
/// not the last one.
/// </summary>
internal sealed class AuditVerifier(NpgsqlDataSource db)
{
    /// <param name="BrokenId">The first broken entry, null when the chain holds.</param>
    public sealed record Result(bool Holds, long Entries, long? BrokenId, string Message);

    public async Task<Result> VerifyAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // One snapshot for the head and every entry, while writers go on appending.
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

        (long Id, string Sm3)? head = null;
        await using (var command = new NpgsqlCommand("select last_id, last_sm3 from audit_chain_head", connection, tx))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct)) head = (reader.GetInt64(0), reader.GetString(1));
        }

        string expectedPrev = AuditEntryHash.Genesis;
        long? lastId = null;
        long entries = 0;
        await using (var command = new NpgsqlCommand(
            "select id, at, actor, action, subject, detail, prev_sm3, entry_sm3 from audit_log order by id", connection, tx))
        {
            command.CommandTimeout = 0;
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
            while (await reader.ReadAsync(ct))
            {
                long id = reader.GetInt64(0);
                var at = reader.GetDateTime(1);
                string? actor = Text(reader, 2), action = Text(reader, 3), subject = Text(reader, 4), detail = Text(reader, 5);
                string? prev = Text(reader, 6), entry = Text(reader, 7);
                if (!string.Equals(prev, expectedPrev, StringComparison.Ordinal))
                {
                    return Broken(entries, id, lastId is null
                        ? $"entry {id} does not start the chain (its prev_sm3 is not the genesis value): earlier entries were removed, or its link was changed"
                        : $"entry {id} does not link to entry {lastId} before it (prev_sm3 differs): an entry between them was removed, or the link was changed");
                }
                string computed = AuditEntryHash.Compute(id, at, actor, action, subject, detail, prev);
                if (!string.Equals(computed, entry, StringComparison.Ordinal))
                    return Broken(entries, id, $"entry {id} does not match its entry_sm3: its content was changed");
                expectedPrev = entry!;
                lastId = id;
                entries++;
            }
        }

        if (head is null && lastId is { } newest)
            return Broken(entries, newest, $"the chain head is missing while the log has {entries} entries (removed with triggers switched off)");
        if (head is { } h && (lastId != h.Id || !string.Equals(expectedPrev, h.Sm3, StringComparison.Ordinal)))
        {
            return Broken(entries, h.Id, lastId is null
                ? $"the chain head names entry {h.Id} but the log is empty: entries were removed"
                : $"the chain head names entry {h.Id} but the last entry is {lastId}: the newest entries were removed (or the head was changed)");
        }
        await tx.CommitAsync(ct);
        return new Result(true, entries, null, $"chain holds ({entries} entries)");
    }

    /// <summary>A verification as recorded: when, by whom, and its result.</summary>
    public sealed record Recorded(DateTime VerifiedAt, string VerifiedBy, bool Holds, long Entries, long? BrokenId, string Message);

    /// <summary>1 when the last verification in this process found the chain whole, 0 when broken.</summary>
    public static readonly Prometheus.Gauge ChainHolds = Prometheus.Metrics.CreateGauge("bankgateway_audit_chain_holds",
        "Audit chain at the last verification by this process: 1 holds, 0 broken (an alarm).");

    /// <summary>Keeps the result in <c>audit_verifications</c> (the dashboard shows the latest; the audit log itself stays untouched).</summary>
    public async Task RecordAsync(Result result, string verifiedBy, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into audit_verifications (verified_by, holds, entries, broken_id, message) values (@verifiedBy, @Holds, @Entries, @BrokenId, @Message)",
            new { verifiedBy, result.Holds, result.Entries, result.BrokenId, result.Message }, cancellationToken: ct));
        ChainHolds.Set(result.Holds ? 1 : 0);
    }

    /// <summary>The latest recorded verification, or null when the chain was never verified.</summary>
    public async Task<Recorded?> LastAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Recorded>(new CommandDefinition(
            "select verified_at, verified_by, holds, entries, broken_id, message from audit_verifications order by id desc limit 1", cancellationToken: ct));
    }

    private static Result Broken(long entries, long id, string why) => new(false, entries, id, $"chain broken at entry {id}: {why}");

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
