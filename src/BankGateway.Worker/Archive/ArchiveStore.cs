using System.Globalization;
using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Archive;

/// <summary>
/// Keeps a copy of every inbound set member (when intake has recorded the set) and every outbound file (when
/// produced) under <c>{folder}/{inbound|outbound}/yyyy-MM/{AdmDivCode}/{name}</c>, China-time month, with its SM3 in
/// <c>archived_files</c>. The same bytes under the same name are kept once; other bytes under a name already kept
/// get a time suffix. Past the retention a purge deletes the copy and marks the row; rows are never deleted.
/// Keeping never stops a payment or an answer: a failure is an alarm (<see cref="ArchiveMetrics.KeepFailures"/>).
/// </summary>
internal sealed class ArchiveStore(NpgsqlDataSource db, GatewayClock clock, ArchiveSettings settings, ILogger<ArchiveStore> logger)
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    private const int VerifyBatch = 1_000;

    public sealed record Problem(string Path, string FileName, string What);

    public sealed record Verification(long Checked, IReadOnlyList<Problem> Problems);

    public sealed record Purge(DateOnly Before, int Purged, long Bytes);

    public ArchiveSettings Settings => settings;

    /// <summary>
    /// The voucher, its .sig and its detail file, as intake read them: the detail file from <paramref name="detailCopy"/>
    /// when intake recorded it (the bytes it parsed, with their SM3), else copied from the inbox.
    /// </summary>
    public async Task KeepInboundAsync(VoucherSet set, ArchiveCopy? detailCopy, CancellationToken ct)
    {
        if (detailCopy?.Sm3 is not { } sm3)
        {
            await KeepAllAsync(Inbound, set.AdmDivCode, set.MemberPaths, ct);
            return;
        }
        await KeepAllAsync(Inbound, set.AdmDivCode, [set.VoucherPath, set.SigPath], ct);
        await KeepAsync(detailCopy, sm3, ct);
    }

    /// <summary>A copy of the set's detail file to be written by intake's recording read; null when the set has none.</summary>
    public ArchiveCopy? BeginDetailCopy(VoucherSet set) =>
        set.DetailPath is null ? null : BeginCopy(Inbound, set.AdmDivCode, Path.GetFileName(set.DetailPath));

    /// <summary>
    /// A copy of <paramref name="fileName"/> to be written while the file itself is (see <see cref="ArchiveCopy"/>);
    /// <see cref="KeepAsync(ArchiveCopy, string, CancellationToken)"/> files it once the file is recorded.
    /// </summary>
    public ArchiveCopy BeginCopy(string kind, string admDivCode, string fileName)
    {
        var month = ThisMonth();
        return new ArchiveCopy(kind, admDivCode, fileName, month, Path.GetDirectoryName(Full(Relative(kind, month, admDivCode, fileName)))!);
    }

    /// <summary>An outbound file just written through <paramref name="copy"/> with SM3 <paramref name="sm3"/>, and its .sig.</summary>
    public async Task KeepOutboundAsync(string path, ArchiveCopy copy, string sm3, CancellationToken ct)
    {
        await KeepAsync(copy, sm3, ct);
        await KeepAllAsync(Outbound, copy.AdmDivCode, [SignatureFile.SigPath(path)], ct);
    }

    /// <summary>
    /// Files a copy written in the same pass as its file, whose bytes had SM3 <paramref name="sm3"/>; a copy that could
    /// not be written is the alarm. The caller still disposes the copy (which removes a temporary file not filed).
    /// </summary>
    public async Task KeepAsync(ArchiveCopy copy, string sm3, CancellationToken ct)
    {
        try
        {
            if (!copy.Close()) throw copy.Failure!;
            await FileAsync(copy.Kind, copy.AdmDivCode, copy.FileName, copy.Month, copy.TempPath, sm3, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ArchiveMetrics.KeepFailures.Inc();
            logger.LogError("ALARM archive: {File} not kept: {Message}", copy.FileName, e.Message);
        }
    }

    private async Task KeepAllAsync(string kind, string admDivCode, IEnumerable<string> paths, CancellationToken ct)
    {
        foreach (var path in paths)
        {
            try
            {
                if (File.Exists(path)) await KeepAsync(kind, admDivCode, path, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ArchiveMetrics.KeepFailures.Inc();
                logger.LogError("ALARM archive: {File} not kept: {Message}", Path.GetFileName(path), e.Message);
            }
        }
    }

    private async Task KeepAsync(string kind, string admDivCode, string source, CancellationToken ct)
    {
        string name = Path.GetFileName(source);
        var month = ThisMonth();
        string directory = Path.GetDirectoryName(Full(Relative(kind, month, admDivCode, name)))!;
        Directory.CreateDirectory(directory);
        // The copy is hashed, not the source: the SM3 recorded is that of the bytes kept.
        string temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.Copy(source, temp);
            await FileAsync(kind, admDivCode, name, month, temp, await Sm3.HashFileHexAsync(temp, ct), ct);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Moves a complete copy (<paramref name="temp"/>, whose bytes have SM3 <paramref name="sm3"/>) to its place and
    /// records it; the same bytes under the same name already kept, it is dropped.
    /// </summary>
    private async Task FileAsync(string kind, string admDivCode, string name, DateOnly month, string temp, string sm3, CancellationToken ct)
    {
        var now = clock.UtcNow;
        string relative = Relative(kind, month, admDivCode, name);
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from archived_files where kind = @kind and file_name = @name and sm3 = @sm3)",
                new { kind, name, sm3 }, cancellationToken: ct)))
            return;
        if (File.Exists(Full(relative)) || await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from archived_files where path = @relative)", new { relative }, cancellationToken: ct)))
            relative += "." + now.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + sm3[..8];
        long size = new FileInfo(temp).Length;
        File.Move(temp, Full(relative), overwrite: false);
        int rows = await connection.ExecuteAsync(new CommandDefinition("""
            insert into archived_files (kind, file_name, adm_div_code, month, path, sm3, size_bytes, kept_at)
            values (@kind, @name, @admDivCode, @month, @relative, @sm3, @size, @now)
            on conflict do nothing
            """, new { kind, name, admDivCode, month, relative, sm3, size, now }, cancellationToken: ct));
        // Another node kept the same bytes at the same moment: its copy and row stand.
        if (rows == 0) File.Delete(Full(relative));
        else logger.LogInformation("Archive: kept {Kind} {File} as {Path} (SM3 {Sm3})", kind, name, relative, sm3);
    }

    private static string Relative(string kind, DateOnly month, string admDivCode, string name) =>
        Path.Combine(kind, month.ToString("yyyy-MM", CultureInfo.InvariantCulture), admDivCode, name);

    /// <summary>
    /// Deletes the local copies of every month that ended more than <see cref="ArchiveSettings.RetentionYears"/> ago and
    /// sets their <c>purged_at</c>; the rows (name, SM3, size, when kept) stay.
    /// </summary>
    public async Task<Purge> PurgeAsync(CancellationToken ct)
    {
        var before = ThisMonth().AddYears(-settings.RetentionYears);
        await using var connection = await db.OpenConnectionAsync(ct);
        var due = (await connection.QueryAsync<(long Id, string Path, long Size)>(new CommandDefinition(
            "select id, path, size_bytes from archived_files where purged_at is null and month < @before order by id",
            new { before }, cancellationToken: ct))).ToList();
        long bytes = 0;
        foreach (var (id, path, size) in due)
        {
            string full = Full(path);
            if (File.Exists(full)) File.Delete(full);
            await connection.ExecuteAsync(new CommandDefinition(
                "update archived_files set purged_at = @now where id = @id", new { id, now = clock.UtcNow }, cancellationToken: ct));
            bytes += size;
            RemoveEmptyFolders(Path.GetDirectoryName(full)!);
        }
        if (due.Count > 0)
            logger.LogInformation("Archive: purged {Count} file(s), {Bytes:N0} bytes, kept in months before {Before:yyyy-MM} ({Years} years' retention); their records stay",
                due.Count, bytes, before, settings.RetentionYears);
        return new Purge(before, due.Count, bytes);
    }

    /// <summary>
    /// Recomputes the SM3 of every kept, unpurged file; each row records when and what was wrong (null: intact).
    /// Reports the number checked so far to <paramref name="progress"/>.
    /// </summary>
    public async Task<Verification> VerifyAsync(IProgress<long>? progress, CancellationToken ct)
    {
        var problems = new List<Problem>();
        long checkedCount = 0, afterId = 0;
        await using var connection = await db.OpenConnectionAsync(ct);
        while (true)
        {
            var batch = (await connection.QueryAsync<(long Id, string Path, string FileName, string Sm3, long Size)>(new CommandDefinition("""
                select id, path, file_name, sm3, size_bytes from archived_files
                where purged_at is null and id > @afterId order by id limit @limit
                """, new { afterId, limit = VerifyBatch }, cancellationToken: ct))).ToList();
            if (batch.Count == 0) break;
            foreach (var row in batch)
            {
                string? problem = await CheckAsync(row.Path, row.Sm3, ct);
                if (problem is not null)
                {
                    problems.Add(new Problem(row.Path, row.FileName, problem));
                    logger.LogError("ALARM archive: {Path} {Problem}", row.Path, problem);
                }
                await connection.ExecuteAsync(new CommandDefinition(
                    "update archived_files set verified_at = @now, verify_problem = @problem where id = @Id",
                    new { row.Id, problem, now = clock.UtcNow }, cancellationToken: ct));
                checkedCount++;
            }
            afterId = batch[^1].Id;
            progress?.Report(checkedCount);
        }
        return new Verification(checkedCount, problems);
    }

    /// <summary>Kept, unpurged files whose last verification found them missing or changed (what the alarm counts).</summary>
    public async Task<long> FailingAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from archived_files where purged_at is null and verify_problem is not null", cancellationToken: ct));
    }

    private async Task<string?> CheckAsync(string relative, string recorded, CancellationToken ct)
    {
        string full = Full(relative);
        if (!File.Exists(full)) return "missing";
        string onDisk = await Sm3.HashFileHexAsync(full, ct);
        return onDisk == recorded ? null : $"changed: SM3 {onDisk}, recorded {recorded}";
    }

    private string Full(string relative) => Path.Combine(settings.Folder, relative);

    // The China-time month: copies are filed, and retention counted, by it.
    private DateOnly ThisMonth() => new(clock.Today.Year, clock.Today.Month, 1);

    private void RemoveEmptyFolders(string directory)
    {
        // Up to, never including, the kind folder (inbound/ or outbound/).
        for (int depth = 0; depth < 2 && Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any(); depth++)
        {
            Directory.Delete(directory);
            directory = Path.GetDirectoryName(directory)!;
        }
    }
}
