using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Results;

/// <summary>
/// Every outbound file goes through here: written under a temporary name and renamed, signed the
/// same way, and recorded with its SM3. Content is produced from the database deterministically,
/// so the first production fixes it: a later call (re-send, crash recovery) re-creates the same
/// bytes, checks them against the recorded digest, and never rewrites a file already in place whose
/// bytes still match it. A file edited on disk is never signed as found: it is regenerated (contract §12).
/// </summary>
internal sealed class OutboundFiles(NpgsqlDataSource db, BankKey bankKey, Archive.ArchiveStore archive, ILogger<OutboundFiles> logger)
{
    public sealed record Written(string Path, string Sm3, bool New);

    private sealed record Recorded(string Sm3, long SizeBytes, string Source);

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
        if (recorded is not null && File.Exists(path))
        {
            // Contract §12: the bank signs only what it produced. A file is (re)signed or left for delivery only
            // when its bytes still have the SM3 recorded when it was first produced.
            string onDisk = await Sm3.HashFileHexAsync(path, ct);
            if (onDisk == recorded.Sm3)
            {
                if (!File.Exists(SignatureFile.SigPath(path))) SignatureFile.Write(path, bankKey.Key);
                return new Written(path, recorded.Sm3, false);
            }
            Hosting.Service.GatewayMetrics.OutboundTampered.Inc();
            logger.LogError("ALARM outbound: {File} on disk has SM3 {OnDisk}, not the {Recorded} recorded when it was produced; " +
                "it is replaced by the content regenerated from the database and signed anew (never signed as found)", fileName, onDisk, recorded.Sm3);
            File.Delete(SignatureFile.SigPath(path));
        }

        await AtomicFile.WriteAsync(path, produce, ct);
        string sm3 = await Sm3.HashFileHexAsync(path, ct);
        if (recorded is not null && recorded.Sm3 != sm3)
        {
            // Never expected: the database changed under a file already sent. Keep the evidence, stop loudly.
            File.Move(path, path + ".mismatch", overwrite: true);
            throw new InvalidOperationException($"{fileName}: re-created content differs from the recorded SM3 {recorded.Sm3}; moved aside as {fileName}.mismatch");
        }
        SignatureFile.Write(path, bankKey.Key);
        await archive.KeepOutboundAsync(path, admDivCode, ct);
        if (recorded is null)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into outbound_files (file_name, kind, source, adm_div_code, voucher_id, sm3, size_bytes, archive_path, created_at)
                values (@fileName, @kind, @source, @admDivCode, @voucherId, @sm3, @size, @path, now())
                on conflict (file_name) do update set kind = excluded.kind, source = excluded.source, adm_div_code = excluded.adm_div_code,
                    voucher_id = excluded.voucher_id, sm3 = excluded.sm3, size_bytes = excluded.size_bytes, archive_path = excluded.archive_path,
                    created_at = excluded.created_at
                where outbound_files.source <> excluded.source
                """, new { fileName, kind, source, admDivCode, voucherId, sm3, size = new FileInfo(path).Length, path }, cancellationToken: ct));
            logger.LogInformation("Results: wrote {File} (SM3 {Sm3})", fileName, sm3);
        }
        else
        {
            logger.LogInformation("Results: re-sent {File} byte for byte (SM3 {Sm3})", fileName, sm3);
        }
        return new Written(path, sm3, recorded is null);
    }

    private async Task<Recorded?> FindAsync(string fileName, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Recorded>(new CommandDefinition(
            "select sm3, size_bytes, source from outbound_files where file_name = @fileName", new { fileName }, cancellationToken: ct));
    }
}

/// <summary>The bank's SM2 private key that signs every outbound file.</summary>
internal sealed class BankKey(Sm2PrivateKey key)
{
    public Sm2PrivateKey Key { get; } = key;
}
