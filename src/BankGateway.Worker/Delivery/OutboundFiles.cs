using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Delivery;

/// <summary>
/// Every outbound file is produced through here, once: written under a temporary name and renamed, signed,
/// and recorded in one transaction with its SM3, its bytes, its signature and a PENDING delivery to its bureau
/// (contract §12, issue 9). From then on the database is the file: a later call (re-send, crash recovery,
/// another node) restores the same bytes and the same <c>.sig</c> from it, and a local copy edited on disk is
/// never signed as found — it is replaced by the recorded bytes and alarmed.
/// </summary>
internal sealed class OutboundFiles(NpgsqlDataSource db, BankKey bankKey, Archive.ArchiveStore archive, ILogger<OutboundFiles> logger)
{
    public sealed record Written(string Path, string Sm3, bool New);

    private sealed record Recorded(string Sm3, string Source, bool Stored);

    private const string FindSql = "select sm3, source, signature is not null as stored from outbound_files where file_name = @fileName";

    /// <param name="outbox">Where the local copy goes (a Local channel's outbox is the bureau's drop folder).</param>
    /// <param name="source">What the file answers (e.g. <c>voucher:42</c>, <c>delivery:7</c>): the content is fixed per source.</param>
    public async Task<Written> EnsureAsync(string outbox, string fileName, string kind, string admDivCode, long? voucherId, string source,
        Func<Stream, CancellationToken, Task> produce, CancellationToken ct)
    {
        Directory.CreateDirectory(outbox);
        string path = Path.Combine(outbox, fileName);
        var recorded = await FindAsync(fileName, ct);
        if (recorded is not null && recorded.Source != source)
        {
            logger.LogWarning("Results: {File} now answers {Source}; it replaces the earlier answer to {Earlier}", fileName, source, recorded.Source);
            recorded = null;
        }
        if (recorded is { Stored: true })
        {
            await KeepLocalCopyAsync(path, fileName, recorded.Sm3, ct);
            return new Written(path, recorded.Sm3, false);
        }

        using var copy = archive.BeginCopy(Archive.ArchiveStore.Outbound, admDivCode, fileName);
        var produced = await ProduceAndRecordAsync(path, fileName, kind, admDivCode, voucherId, source, recorded, copy, produce, ct);
        if (produced is null)
        {
            // Another node recorded it first: its bytes and signature are the file.
            var theirs = (await FindAsync(fileName, ct))!;
            await KeepLocalCopyAsync(path, fileName, theirs.Sm3, ct);
            return new Written(path, theirs.Sm3, false);
        }
        await archive.KeepOutboundAsync(path, copy, produced, ct);
        logger.LogInformation("Results: wrote {File} (SM3 {Sm3})", fileName, produced);
        return new Written(path, produced, true);
    }

    /// <summary>Puts the recorded bytes and signature of <paramref name="fileName"/> at <paramref name="path"/> unless they are there already.</summary>
    public async Task KeepLocalCopyAsync(string path, string fileName, string sm3, CancellationToken ct)
    {
        if (File.Exists(path))
        {
            string onDisk = await Sm3.HashFileHexAsync(path, ct);
            string sig = SignatureFile.SigPath(path);
            byte[] recordedSig = await OutboundStore.SignatureAsync(db, fileName, ct);
            byte[] localSig = File.Exists(sig) ? await File.ReadAllBytesAsync(sig, ct) : [];
            if (onDisk == sm3 && localSig.AsSpan().SequenceEqual(recordedSig)) return;
            if (onDisk != sm3)
            {
                Hosting.Service.GatewayMetrics.OutboundTampered.Inc();
                logger.LogError("ALARM outbound: {File} on disk has SM3 {OnDisk}, not the {Recorded} recorded when it was produced; " +
                    "it is replaced by the recorded bytes and signature (never signed as found)", fileName, onDisk, sm3);
            }
        }
        if (!await OutboundStore.RestoreAsync(db, fileName, sm3, path, ct))
            throw new OutboundIntegrityException($"{fileName}: no bytes stored in the database (produced before migration 009) and no intact local copy");
    }

    /// <summary>
    /// Writes the file in one pass through <see cref="OutboundWriteStream"/> (local copy, SM3, signature, archive
    /// <paramref name="copy"/> and stored parts) and records it, its signature and its first delivery in the same transaction; returns its SM3, or null
    /// when another node recorded the same answer first. A file recorded before migration 009 (<paramref name="earlier"/>
    /// without bytes) only gets its bytes stored: it was delivered then.
    /// </summary>
    private async Task<string?> ProduceAndRecordAsync(string path, string fileName, string kind, string admDivCode, long? voucherId, string source,
        Recorded? earlier, Archive.ArchiveCopy copy, Func<Stream, CancellationToken, Task> produce, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // One producer per file name at a time, across nodes.
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended(@fileName, 9))", new { fileName }, tx, cancellationToken: ct));
        var now = await connection.QuerySingleOrDefaultAsync<Recorded>(new CommandDefinition(
            FindSql, new { fileName }, tx, cancellationToken: ct));
        if (now is { Stored: true } && now.Source == source) return null;
        await connection.ExecuteAsync(new CommandDefinition("delete from outbound_file_parts where file_name = @fileName", new { fileName }, tx, cancellationToken: ct));

        string sm3 = "";
        byte[] der = [];
        long size = 0;
        await AtomicFile.WriteAsync(path, async (file, token) =>
        {
            var through = new OutboundWriteStream(file, bankKey.Key, connection, tx, fileName, copy);
            try
            {
                await produce(through, token);
                (sm3, der) = await through.FinishAsync();
                size = through.BytesWritten;
            }
            catch
            {
                await through.AbandonAsync();
                throw;
            }
        }, ct);
        if (earlier is not null && earlier.Sm3 != sm3)
        {
            // Never expected: the database changed under a file already sent. Keep the evidence, stop loudly.
            File.Move(path, path + ".mismatch", overwrite: true);
            throw new InvalidOperationException($"{fileName}: re-created content differs from the recorded SM3 {earlier.Sm3}; moved aside as {fileName}.mismatch");
        }
        SignatureFile.WriteSignature(path, der);
        byte[] signature = System.Text.Encoding.ASCII.GetBytes(SignatureFile.Encode(der)); // stored as the .sig file's bytes

        await connection.ExecuteAsync(new CommandDefinition("""
            insert into outbound_files (file_name, kind, source, adm_div_code, voucher_id, sm3, size_bytes, archive_path, created_at, signature)
            values (@fileName, @kind, @source, @admDivCode, @voucherId, @sm3, @size, @path, now(), @signature)
            on conflict (file_name) do update set kind = excluded.kind, source = excluded.source, adm_div_code = excluded.adm_div_code,
                voucher_id = excluded.voucher_id, sm3 = excluded.sm3, size_bytes = excluded.size_bytes, archive_path = excluded.archive_path,
                created_at = case when outbound_files.source = excluded.source then outbound_files.created_at else excluded.created_at end,
                signature = excluded.signature
            """, new { fileName, kind, source, admDivCode, voucherId, sm3, size, path, signature }, tx, cancellationToken: ct));
        if (earlier is null) await DeliveryQueue.EnqueueAsync(connection, tx, fileName, sm3, admDivCode, DeliveryQueue.Produced, "system", ct);
        await tx.CommitAsync(ct);
        return sm3;
    }

    private async Task<Recorded?> FindAsync(string fileName, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Recorded>(new CommandDefinition(
            FindSql, new { fileName }, cancellationToken: ct));
    }
}
