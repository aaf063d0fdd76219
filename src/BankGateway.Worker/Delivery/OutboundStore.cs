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
