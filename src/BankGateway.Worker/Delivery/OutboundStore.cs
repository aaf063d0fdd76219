using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using Npgsql;
using NpgsqlTypes;

namespace BankGateway.Worker.Delivery;

/// <summary>
/// The bytes of produced files in PostgreSQL (<c>outbound_file_parts</c>, parts of <see cref="PartBytes"/>),
/// so any node can deliver or restore what another node produced. Neither direction holds a file whole.
/// </summary>
internal static class OutboundStore
{
    /// <summary>1 MiB: large enough for few rows, small enough to stream a 150 MB result file in constant memory.</summary>
    public const int PartBytes = 1 << 20;

    /// <summary>Replaces the stored parts of <paramref name="fileName"/> with the bytes of <paramref name="path"/>.</summary>
    public static async Task SavePartsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string fileName, string path, CancellationToken ct)
    {
        await using (var delete = new NpgsqlCommand("delete from outbound_file_parts where file_name = $1", connection, tx))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = fileName });
            await delete.ExecuteNonQueryAsync(ct);
        }
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var insert = new NpgsqlCommand("insert into outbound_file_parts (file_name, part_no, bytes) values ($1, $2, $3)", connection, tx);
        insert.Parameters.Add(new NpgsqlParameter { Value = fileName });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea });
        var buffer = new byte[PartBytes];
        int part = 0;
        while (true)
        {
            int filled = 0, read;
            while (filled < buffer.Length && (read = await file.ReadAsync(buffer.AsMemory(filled), ct)) > 0) filled += read;
            if (filled == 0 && part > 0) break;
            insert.Parameters[1].Value = part++;
            insert.Parameters[2].Value = filled == buffer.Length ? buffer : buffer[..filled];
            await insert.ExecuteNonQueryAsync(ct);
            if (filled < buffer.Length) break;
        }
    }

    /// <summary>The recorded signature (<c>.sig</c> bytes) of a produced file; empty when none is stored.</summary>
    public static async Task<byte[]> SignatureAsync(NpgsqlDataSource db, string fileName, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var sig = new NpgsqlCommand("select signature from outbound_files where file_name = $1", connection);
        sig.Parameters.Add(new NpgsqlParameter { Value = fileName });
        return await sig.ExecuteScalarAsync(ct) as byte[] ?? [];
    }

    /// <summary>
    /// Writes the stored file to <paramref name="path"/> (atomically) and its recorded signature beside it, and
    /// checks the bytes against <paramref name="expectedSm3"/>: a database that lost or changed a part never
    /// reaches a bureau. False when the file has no stored parts (produced before migration 009).
    /// </summary>
    public static async Task<bool> RestoreAsync(NpgsqlDataSource db, string fileName, string expectedSm3, string path, CancellationToken ct)
    {
        byte[] signature = await SignatureAsync(db, fileName, ct);
        if (signature.Length == 0) return false;

        string sm3 = "";
        await AtomicFile.WriteAsync(path, async (target, token) =>
        {
            var hasher = new Sm3Hasher();
            await using var connection = await db.OpenConnectionAsync(token);
            await using var parts = new NpgsqlCommand("select bytes from outbound_file_parts where file_name = $1 order by part_no", connection);
            parts.Parameters.Add(new NpgsqlParameter { Value = fileName });
            await using var reader = await parts.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, token);
            while (await reader.ReadAsync(token))
            {
                byte[] part = reader.GetFieldValue<byte[]>(0);
                hasher.Append(part);
                await target.WriteAsync(part, token);
            }
            sm3 = hasher.FinishHex();
            if (sm3 != expectedSm3)
                throw new OutboundIntegrityException($"{fileName}: the bytes stored in the database have SM3 {sm3}, not the recorded {expectedSm3}; not restored");
        }, ct);
        await AtomicFile.WriteAsync(SignatureFile.SigPath(path), (target, token) => target.WriteAsync(signature, token).AsTask(), ct);
        return true;
    }
}

/// <summary>Stored or local bytes of an outbound file do not have the SM3 recorded when it was produced.</summary>
internal sealed class OutboundIntegrityException(string message) : Exception(message);
