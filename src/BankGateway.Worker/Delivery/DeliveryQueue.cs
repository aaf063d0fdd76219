using BankGateway.Domain.States;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.Delivery;

/// <summary>
/// <c>file_deliveries</c>: one row per (file, destination) delivery, its state a <see cref="FileDeliveryState"/>. Produced files and re-sends add PENDING
/// rows; the delivery stage turns them DELIVERED with what the remote side holds. A file produced anew under
/// the same name (a later rejection of one voucher number) supersedes its still-pending delivery.
/// </summary>
internal static class DeliveryQueue
{
    public const string Produced = "produced";
    public const string Resend = "resend";

    /// <summary>A delivery waiting to go out.</summary>
    public sealed record Pending(long Id, string FileName, string Sm3, string AdmDivCode, int Attempts);

    public static async Task EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string fileName, string sm3, string admDivCode,
        string reason, string requestedBy, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            update file_deliveries set state = @superseded where file_name = @fileName and state = @pending and sm3 <> @sm3;
            insert into file_deliveries (file_name, sm3, adm_div_code, reason, requested_by, state)
            values (@fileName, @sm3, @admDivCode, @reason, @requestedBy, @pending)
            on conflict (file_name, adm_div_code) where state = 'PENDING' do nothing;
            """, new { fileName, sm3, admDivCode, reason, requestedBy, pending = FileDeliveryState.Pending, superseded = FileDeliveryState.Superseded },
            tx, cancellationToken: ct));
    }

    /// <summary>Asks for the recorded files to be delivered again to their bureau; returns the names queued.</summary>
    public static async Task<IReadOnlyList<string>> RequestResendAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IEnumerable<string> fileNames,
        string actor, CancellationToken ct)
    {
        var queued = new List<string>();
        foreach (var (name, sm3, adm) in await connection.QueryAsync<(string, string, string)>(new CommandDefinition(
                     "select file_name, sm3, adm_div_code from outbound_files where file_name = any(@names) and signature is not null order by file_name",
                     new { names = fileNames.ToArray() }, tx, cancellationToken: ct)))
        {
            await EnqueueAsync(connection, tx, name, sm3, adm, Resend, actor, ct);
            queued.Add(name);
        }
        return queued;
    }

    /// <summary>The bureau's pending deliveries, oldest first.</summary>
    public static async Task<IReadOnlyList<Pending>> PendingAsync(NpgsqlDataSource db, string admDivCode, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Pending>(new CommandDefinition("""
            select id, file_name, sm3, adm_div_code, attempts from file_deliveries
            where adm_div_code = @admDivCode and state = 'PENDING' order by id
            """, new { admDivCode }, cancellationToken: ct))).ToList();
    }

    /// <summary>Bureaus with something to deliver.</summary>
    public static async Task<IReadOnlyList<string>> BureausWithPendingAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "select distinct adm_div_code from file_deliveries where state = 'PENDING' order by 1", cancellationToken: ct))).ToList();
    }

    public static async Task MarkDeliveredAsync(NpgsqlDataSource db, long id, string node, RemoteCopy remote, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            update file_deliveries set state = @delivered, attempts = attempts + 1, last_error = null, delivered_at = now(),
                delivered_by = @node, remote_size = @size, remote_sm3 = @sm3
            where id = @id and state = @pending
            """, new { id, node, size = remote.Size, sm3 = remote.Sm3, delivered = FileDeliveryState.Delivered, pending = FileDeliveryState.Pending },
            cancellationToken: ct));
    }

    public static async Task MarkFailedAsync(NpgsqlDataSource db, long id, string error, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "update file_deliveries set attempts = attempts + 1, last_error = left(@error, 1000) where id = @id and state = 'PENDING'",
            new { id, error }, cancellationToken: ct));
    }
}

/// <summary>What the destination holds after an upload: its size, and its SM3 when it was read back.</summary>
internal sealed record RemoteCopy(long Size, string? Sm3);
