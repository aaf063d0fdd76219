using System.Globalization;
using System.Net.Sockets;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Renci.SshNet;
using Renci.SshNet.Common;
using BankGateway.Worker.Database;

namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// The fetching half of an SFTP channel: complete sets from the remote inbox into the local staging inbox, and
/// taken sets moved into the remote <c>processed/</c> (or remembered by digest in <c>taken_files</c> when the server
/// refuses the move).
/// <list type="bullet">
/// <item>A remote file is taken only when its size and time are unchanged since the previous poll (the first
/// sighting never is), and never under a <c>.tmp</c>/<c>.part</c>/dot name or as a symbolic link.</item>
/// <item>Files are downloaded to <c>.&lt;name&gt;.part</c>, checked against the listed size and renamed, voucher last,
/// so the local inbox never shows a partial file or an incomplete set.</item>
/// </list>
/// </summary>
internal sealed class SftpInbox
{
    /// <summary>The remote inbox's subfolder taken files are renamed into.</summary>
    public const string ProcessedFolder = Intake.LocalInbox.ProcessedFolder;

    private readonly SftpConnection _connection;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly TakenFiles _taken;
    private readonly Dictionary<RemoteEntry, string?> _detailNames = [];
    private readonly HashSet<RemoteEntry> _acknowledged = [];
    private Dictionary<string, RemoteEntry> _sightings = new(StringComparer.Ordinal);

    public SftpInbox(SftpConnection connection, string localInbox, TakenFiles taken, ILogger logger, TimeProvider clock)
    {
        _connection = connection;
        _logger = logger;
        _clock = clock;
        _taken = taken;
        LocalInbox = localInbox;
        Directory.CreateDirectory(LocalInbox);
        // Downloads cut off by a crash; each set is fetched again whole.
        foreach (var stale in Directory.EnumerateFiles(LocalInbox, ".*.part")) SftpConnection.TryDelete(stale);
    }

    public string LocalInbox { get; }


    /// <summary>Brings every complete, stable set into <see cref="LocalInbox"/>; partial uploads wait for a later poll.</summary>
    public async Task FetchAsync(CancellationToken ct)
    {
        await _taken.RefreshAsync(ct);
        await _connection.RunAsync("fetch", FetchWorkAsync, ct);
    }

    private async Task FetchWorkAsync(SftpClient client, CancellationToken ct)
    {
        // Stability is judged against the previous poll's listing, also on a retry within this poll.
        var previous = _sightings;
        var listing = await ListInboxAsync(client, ct);
        _sightings = listing;
        foreach (var gone in _detailNames.Keys.Where(k => !listing.ContainsKey(k.Name)).ToList()) _detailNames.Remove(gone);
        var here = LocalCopiesIndex.Of(LocalInbox);

        foreach (var pv in listing.Values.Where(e => FileNames.TryParseVoucherFileName(e.Name, out _, out _))
                     .OrderBy(e => e.MtimeUnix).ThenBy(e => e.Name, StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            if (_taken.Contains(pv) || here.Has(pv)) continue; // taken (remembered) or staged / awaiting acknowledgement
            if (!listing.TryGetValue(FileNames.Signature(pv.Name), out var sig))
            {
                _connection.LogOnce($"wait-sig:{pv}", LogLevel.Information, "{Channel}: {Voucher} waits for its .sig", _connection.Name, pv.Name);
                AlarmIfWaitingLong(pv, "its .sig");
                continue;
            }
            if (!WithinLimit(pv, _connection.Options.MaxVoucherBytes, "voucher") || !WithinLimit(sig, _connection.Options.MaxSignatureBytes, "signature")) continue;
            if (!IsStable(pv, previous) || !IsStable(sig, previous))
            {
                _logger.LogDebug("{Channel}: {Voucher} seen, taken once unchanged at the next poll", _connection.Name, pv.Name);
                continue;
            }

            byte[]? pvBytes = null;
            if (!_detailNames.TryGetValue(pv, out string? detailName))
            {
                pvBytes = await DownloadToMemoryAsync(client, pv, ct);
                if (pvBytes is null) continue;
                detailName = ReadDetailFileName(pvBytes, pv.Name);
                _detailNames[pv] = detailName;
            }

            var members = new List<RemoteEntry>();
            if (detailName is not null)
            {
                if (listing.TryGetValue(detailName, out var detail))
                {
                    if (!WithinLimit(detail, _connection.Options.MaxDetailBytes, "detail file")) continue;
                    if (!IsStable(detail, previous))
                    {
                        _logger.LogDebug("{Channel}: {Voucher} waits for {Detail} to stop changing", _connection.Name, pv.Name, detailName);
                        continue;
                    }
                    if (!here.Has(detail)) members.Add(detail);
                }
                else if (!here.HasName(detailName))
                {
                    _connection.LogOnce($"wait-detail:{pv}", LogLevel.Information, "{Channel}: {Voucher} waits for its detail file {Detail}", _connection.Name, pv.Name, detailName);
                    AlarmIfWaitingLong(pv, $"its detail file {detailName}");
                    continue;
                }
            }
            if (!here.Has(sig)) members.Add(sig);
            members.Add(pv); // the voucher last: the local inbox sees the set only when all of it is there

            if (await StageSetAsync(client, pv, members, pvBytes, ct))
            {
                _connection.Counters.SetFetched();
                _logger.LogInformation("{Channel}: fetched {Voucher} ({Count} files) into {Inbox}", _connection.Name, pv.Name, members.Count, LocalInbox);
            }
        }
    }

    private static bool IsStable(RemoteEntry entry, Dictionary<string, RemoteEntry> previous) =>
        previous.TryGetValue(entry.Name, out var seen) && seen == entry;

    private bool WithinLimit(RemoteEntry entry, long limit, string what)
    {
        if (entry.Size <= limit) return true;
        _connection.LogOnce($"size:{entry.Name}:{entry.Size}", LogLevel.Error,
            "{Channel} alarm: {Name} is {Size} bytes, more than the {Limit} allowed for a {What}; not fetched", _connection.Name, entry.Name, entry.Size, limit, what);
        return false;
    }

    private string? ReadDetailFileName(byte[] pvBytes, string name)
    {
        using var stream = new MemoryStream(pvBytes, writable: false);
        var read = VoucherXml.Read(stream, name);
        // An unreadable voucher is still fetched with its .sig: the intake answers it with a rejection.
        if (read.Voucher is null) _logger.LogWarning("{Channel}: {Voucher} cannot be read ({Error}); fetched without a detail file", _connection.Name, name, read.Error);
        return read.Voucher?.DetailFile;
    }

    private async Task<byte[]?> DownloadToMemoryAsync(SftpClient client, RemoteEntry entry, CancellationToken ct)
    {
        using var buffer = new MemoryStream((int)entry.Size);
        try
        {
            await DownloadAsync(client, entry, buffer, ct);
        }
        catch (RemoteFileChangedException ex)
        {
            Changed(entry, ex.Message);
            return null;
        }
        if (buffer.Length != entry.Size)
        {
            Changed(entry, $"{entry.Name}: read {buffer.Length} bytes, listed {entry.Size}");
            return null;
        }
        return buffer.ToArray();
    }

    /// <summary>Downloads the members to <c>.name.part</c>, checks them, renames them into place in order.</summary>
    private async Task<bool> StageSetAsync(SftpClient client, RemoteEntry pv, List<RemoteEntry> members, byte[]? pvBytes, CancellationToken ct)
    {
        var parts = new List<(RemoteEntry Entry, string Part, string Final)>();
        try
        {
            foreach (var member in members)
            {
                string final = Path.Combine(LocalInbox, member.Name);
                string part = Path.Combine(LocalInbox, "." + member.Name + ".part");
                parts.Add((member, part, final));
                await using (var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                {
                    if (member == pv && pvBytes is not null) await file.WriteAsync(pvBytes, ct);
                    else await DownloadAsync(client, member, file, ct);
                    await file.FlushAsync(ct);
                    file.Flush(flushToDisk: true);
                }
                long length = new FileInfo(part).Length;
                if (length != member.Size)
                    throw new RemoteFileChangedException($"{member.Name}: transfer ended after {length} of {member.Size} bytes");
                File.SetLastWriteTimeUtc(part, DateTimeOffset.FromUnixTimeSeconds(member.MtimeUnix).UtcDateTime);
            }

            // Still the same files on the server? A file rewritten during the transfer waits for the next poll.
            foreach (var (entry, _, _) in parts)
            {
                var now = await SftpConnection.WithTimeoutAsync(t => client.GetAttributesAsync(SftpConnection.Remote(_connection.Settings.Inbox, entry.Name), t), _connection.Options.OperationTimeout, "stat", ct);
                if (now.Size != entry.Size || SftpConnection.ToUnix(now.LastWriteTimeUtc) != entry.MtimeUnix)
                    throw new RemoteFileChangedException($"{entry.Name} changed on the server while it was fetched");
            }

            if (_taken.HasName(pv.Name))
            {
                string sm3 = await Sm3.HashFileHexAsync(parts.Single(p => p.Entry == pv).Part, ct);
                if (_taken.ContainsDigest(sm3))
                {
                    _connection.LogOnce($"remembered:{pv.Name}:{pv.MtimeUnix}", LogLevel.Warning,
                        "{Channel}: {Voucher} was taken before (remembered by digest {Sm3}); not taken again", _connection.Name, pv.Name, sm3);
                    return false;
                }
            }

            foreach (var (_, part, final) in parts) File.Move(part, final, overwrite: true);
            parts.Clear();
            return true;
        }
        catch (RemoteFileChangedException ex)
        {
            _connection.Counters.Error();
            foreach (var member in members) Changed(member, ex.Message);
            return false;
        }
        finally
        {
            foreach (var (_, part, _) in parts) SftpConnection.TryDelete(part);
        }
    }

    // Forget the sighting: the file must be seen unchanged over a whole poll again.
    private void Changed(RemoteEntry entry, string why)
    {
        _sightings.Remove(entry.Name);
        _detailNames.Remove(entry);
        _logger.LogWarning("{Channel}: {Why}; left for a later poll", _connection.Name, why);
    }

    private async Task DownloadAsync(SftpClient client, RemoteEntry entry, Stream target, CancellationToken ct)
    {
        var bounded = new BoundedWriteStream(target, entry.Size, entry.Name);
        await SftpConnection.WithTimeoutAsync(async t =>
        {
            await client.DownloadFileAsync(SftpConnection.Remote(_connection.Settings.Inbox, entry.Name), bounded, t);
            return true;
        }, _connection.TransferTimeout(entry.Size), "download", ct);
    }

    /// <summary>
    /// Regular files in the remote inbox under names that may belong to a set. Dot names, <c>.tmp</c>/<c>.part</c>,
    /// symbolic links and other non-regular files are left alone (logged once each).
    /// </summary>
    private async Task<Dictionary<string, RemoteEntry>> ListInboxAsync(SftpClient client, CancellationToken ct)
    {
        var entries = await ListAsync(client, _connection.Settings.Inbox, ct);
        var result = new Dictionary<string, RemoteEntry>(StringComparer.Ordinal);
        foreach (var (file, entry) in entries)
        {
            if (file.IsDirectory) continue;
            if (!FileNames.IsSafeFileName(entry.Name))
            {
                _connection.LogOnce($"unsafe:{entry.Name}", LogLevel.Warning, "{Channel} ignores {Name} in the remote inbox: not a contract file name", _connection.Name, SftpConnection.Sanitize(entry.Name));
                continue;
            }
            if (entry.Name.StartsWith('.') || FileNames.IsInProgress(entry.Name))
            {
                _connection.LogOnce($"partial:{entry.Name}", LogLevel.Information, "{Channel} leaves {Name} alone: still being written (temporary name)", _connection.Name, entry.Name);
                continue;
            }
            if (!file.IsRegularFile || file.IsSymbolicLink)
            {
                _connection.LogOnce($"irregular:{entry.Name}", LogLevel.Warning, "{Channel} ignores {Name} in the remote inbox: not a regular file (symbolic link or special file)", _connection.Name, entry.Name);
                continue;
            }
            result[entry.Name] = entry;
        }

        // Names that belong to no set are logged, never fetched. A detail file's name is whatever its voucher says,
        // so only names neither a voucher, a .sig nor named by a known voucher are reported.
        var named = _detailNames.Values.Where(n => n is not null).ToHashSet(StringComparer.Ordinal);
        foreach (var name in result.Keys)
        {
            bool contract = FileNames.TryParseVoucherFileName(name, out _, out _)
                || (name.EndsWith(FileNames.SignatureSuffix, StringComparison.Ordinal) && FileNames.TryParseVoucherFileName(name[..^4], out _, out _))
                || named.Contains(name) || name.StartsWith("QC_", StringComparison.Ordinal);
            if (!contract)
                _connection.LogOnce($"name:{name}", LogLevel.Warning, "{Channel} ignores {Name} in the remote inbox: not a contract file name", _connection.Name, SftpConnection.Sanitize(name));
        }
        return result;
    }

    private async Task<List<(Renci.SshNet.Sftp.ISftpFile File, RemoteEntry Entry)>> ListAsync(SftpClient client, string folder, CancellationToken ct)
    {
        return await SftpConnection.WithTimeoutAsync(async t =>
        {
            var list = new List<(Renci.SshNet.Sftp.ISftpFile, RemoteEntry)>();
            await foreach (var file in client.ListDirectoryAsync(folder.Length == 0 ? "." : folder, t))
            {
                if (file.Name is "." or "..") continue;
                list.Add((file, new RemoteEntry(file.Name, file.Length, SftpConnection.ToUnix(file.LastWriteTimeUtc))));
            }
            return list;
        }, _connection.Options.OperationTimeout, "list " + folder, ct);
    }

    /// <summary>Moves sets the pipeline took (now in the local processed/) into the remote processed/.</summary>
    public async Task AcknowledgeTakenAsync(CancellationToken ct)
    {
        await _taken.RefreshAsync(ct);
        // Nothing taken since the last acknowledgement: no need to connect.
        var here = LocalCopiesIndex.Of(LocalInbox);
        bool pending;
        lock (_acknowledged) pending = here.Processed().Any(e => !_acknowledged.Contains(e) && !_taken.Contains(e));
        if (pending) await _connection.RunAsync("acknowledge", (client, t) => AcknowledgeWorkAsync(client, here, t), ct);
    }

    private async Task AcknowledgeWorkAsync(SftpClient client, LocalCopiesIndex here, CancellationToken ct)
    {
        var listing = await ListInboxAsync(client, ct);
        var remote = listing.Values.ToHashSet();
        lock (_acknowledged)
            foreach (var done in here.Processed().Where(e => !remote.Contains(e))) _acknowledged.Add(done); // already gone from the inbox

        // The voucher goes last: while it is in the remote inbox, the set is recognised and the move finished.
        var toMove = listing.Values.Where(e => here.Find(e, processedOnly: true) is not null && !_taken.Contains(e))
            .OrderBy(e => FileNames.TryParseVoucherFileName(e.Name, out _, out _) ? 1 : 0).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        if (toMove.Count == 0) return;

        string processed = SftpConnection.Remote(_connection.Settings.Inbox, ProcessedFolder);
        string? refusal = await _connection.TryEnsureFolderAsync(client, processed, ct);
        foreach (var entry in toMove)
        {
            ct.ThrowIfCancellationRequested();
            if (refusal is null)
            {
                try
                {
                    string target = SftpConnection.Remote(processed, entry.Name);
                    if (await SftpConnection.WithTimeoutAsync(t => client.ExistsAsync(target, t), _connection.Options.OperationTimeout, "exists", ct))
                        target += "." + _clock.GetUtcNow().ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
                    await SftpConnection.WithTimeoutAsync(async t =>
                    {
                        await client.RenameFileAsync(SftpConnection.Remote(_connection.Settings.Inbox, entry.Name), target, t);
                        return true;
                    }, _connection.Options.OperationTimeout, "rename", ct);
                    lock (_acknowledged) _acknowledged.Add(entry);
                    _connection.Counters.FileAcknowledged();
                    _logger.LogInformation("{Channel}: moved {Name} into the remote {Processed}", _connection.Name, entry.Name, processed);
                    continue;
                }
                catch (SshException ex) when (SftpConnection.IsRefusal(ex))
                {
                    refusal = ex.Message;
                }
            }
            await RememberAsync(entry, here.Find(entry, processedOnly: true)!, refusal, ct);
        }
    }

    private async Task RememberAsync(RemoteEntry entry, string localCopy, string refusal, CancellationToken ct)
    {
        string sm3 = await Sm3.HashFileHexAsync(localCopy, ct);
        await _taken.RememberAsync(sm3, entry, ct);
        _connection.Counters.FileRemembered();
        _logger.LogWarning("{Channel}: the server refused to move {Name} into processed/ ({Refusal}); remembered by digest {Sm3} in taken_files, never taken again",
            _connection.Name, entry.Name, refusal, sm3);
    }

    // Contract §5 (R01): an incomplete set is never rejected; it waits, and is alarmed after a configured time.
    private void AlarmIfWaitingLong(RemoteEntry pv, string missing)
    {
        var waited = _clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(pv.MtimeUnix);
        if (waited > _connection.Options.IncompleteSetAlarm)
            _connection.LogOnce($"alarm:{pv}", LogLevel.Error, "{Channel}: alarm: {Voucher} has waited {Minutes:F0} min for {Missing}", _connection.Name, pv.Name, waited.TotalMinutes, missing);
    }

}
