using System.Globalization;
using System.Net.Sockets;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake.Channels.Sftp;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace BankGateway.Worker.Intake.Channels;

/// <summary>
/// A finance bureau's SFTP server (contract §1), polled by the gateway as client. Remote sets are staged
/// into <c>&lt;home&gt;/channels/&lt;adm&gt;/inbox</c>; answers go out from <c>&lt;home&gt;/channels/&lt;adm&gt;/outbox</c>.
/// <list type="bullet">
/// <item>Key authentication only; the server's host key must be the pinned <c>SHA256:</c> fingerprint, else the
/// connection is refused before anything is read or written (ERROR alarm, <see cref="ChannelCounters.HostKeyRejections"/>).</item>
/// <item>A remote file is taken only when its size and time are unchanged since the previous poll (the first
/// sighting never is), and never under a <c>.tmp</c>/<c>.part</c>/dot name or as a symbolic link.</item>
/// <item>Files are downloaded to <c>.&lt;name&gt;.part</c>, checked against the listed size and renamed, voucher last,
/// so the local inbox never shows a partial file or an incomplete set.</item>
/// <item>Transient failures are retried with exponential backoff and jitter; a circuit breaker per channel
/// stops a dead bureau from costing the others time. A failure that outlasts the retries is logged, counted and
/// thrown to the poll (which then skips the rest of that channel's pass); the next poll tries again.</item>
/// </list>
/// </summary>
internal sealed class SftpChannel : IVoucherChannel, IDisposable
{
    /// <summary>Environment variable holding the passphrase of an encrypted private key.</summary>
    public const string PassphraseVariable = "BANKGATEWAY_SFTP_KEY_PASSPHRASE";

    /// <summary>The remote inbox's subfolder taken files are renamed into.</summary>
    public const string ProcessedFolder = Intake.LocalInbox.ProcessedFolder;

    private readonly ChannelSettings _settings;
    private readonly SftpChannelOptions _options;
    private readonly ILogger<SftpChannel> _logger;
    private readonly TimeProvider _clock;
    private readonly HostKeyPin _pin;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly TakenLedger _taken;
    private readonly DeliveredLedger _delivered;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _keyLock = new();
    private readonly HashSet<string> _loggedOnce = new(StringComparer.Ordinal);
    private readonly Dictionary<RemoteEntry, string?> _detailNames = [];
    private readonly HashSet<RemoteEntry> _acknowledged = [];
    private Dictionary<string, RemoteEntry> _sightings = new(StringComparer.Ordinal);
    private PrivateKeyFile? _key;
    private volatile string? _lastFailure;

    /// <summary>Creates the channel and its local folders; settings are checked here (a bad value names its key).</summary>
    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public SftpChannel(ChannelSettings settings, GatewayHome home, ILogger<SftpChannel> logger, TimeProvider clock)
        : this(settings, home, logger, clock, new SftpChannelOptions())
    {
    }

    /// <summary>As above, with limits, timeouts and resilience settings of the caller's choosing (tests).</summary>
    public SftpChannel(ChannelSettings settings, GatewayHome home, ILogger<SftpChannel> logger, TimeProvider clock, SftpChannelOptions options)
    {
        _settings = settings;
        _options = options;
        _logger = logger;
        _clock = clock;
        _pin = Validate(settings);

        Folder = Path.Combine(home.Root, "channels", settings.AdmDivCode);
        LocalInbox = Path.Combine(Folder, "inbox");
        LocalOutbox = Path.Combine(Folder, "outbox");
        GatewayHome.CreatePrivateDirectory(home.Root);
        Directory.CreateDirectory(LocalInbox);
        Directory.CreateDirectory(LocalOutbox);
        // Downloads cut off by a crash; each set is fetched again whole.
        foreach (var stale in Directory.EnumerateFiles(LocalInbox, ".*.part")) TryDelete(stale);
        _taken = new TakenLedger(Path.Combine(Folder, "taken.txt"));
        _delivered = new DeliveredLedger(Path.Combine(Folder, "delivered.txt"));
        _pipeline = BuildPipeline();
    }

    /// <inheritdoc />
    public string AdmDivCode => _settings.AdmDivCode;

    /// <summary><c>&lt;home&gt;/channels/&lt;adm&gt;</c>: the staging folders and the ledgers <c>taken.txt</c>, <c>delivered.txt</c>.</summary>
    public string Folder { get; }

    /// <inheritdoc />
    public string LocalInbox { get; }

    /// <inheritdoc />
    public string LocalOutbox { get; }

    /// <summary>Totals for metrics: host-key rejections, errors, circuit openings, files moved.</summary>
    public ChannelCounters Counters { get; } = new();

    /// <summary>The circuit breaker's state: Closed (normal), Open (bureau skipped), HalfOpen (one trial).</summary>
    public CircuitState CircuitState => _circuit.CircuitState;

    /// <summary>The last operation's failure, or null after a success.</summary>
    public string? LastFailure => _lastFailure;

    private string Name => $"SFTP channel {AdmDivCode}";

    // ---------------------------------------------------------------- fetch

    /// <inheritdoc />
    public Task FetchAsync(CancellationToken ct) => RunAsync("fetch", FetchWorkAsync, ct);

    private async Task FetchWorkAsync(SftpClient client, CancellationToken ct)
    {
        // Stability is judged against the previous poll's listing, also on a retry within this poll.
        var previous = _sightings;
        var listing = await ListInboxAsync(client, ct);
        _sightings = listing;
        foreach (var gone in _detailNames.Keys.Where(k => !listing.ContainsKey(k.Name)).ToList()) _detailNames.Remove(gone);
        var here = LocalCopies();

        foreach (var pv in listing.Values.Where(e => FileNames.TryParseVoucherFileName(e.Name, out _, out _))
                     .OrderBy(e => e.MtimeUnix).ThenBy(e => e.Name, StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            if (_taken.Contains(pv) || here.Has(pv)) continue; // taken (remembered) or staged / awaiting acknowledgement
            if (!listing.TryGetValue(FileNames.Signature(pv.Name), out var sig))
            {
                LogOnce($"wait-sig:{pv}", LogLevel.Information, "{Channel}: {Voucher} waits for its .sig", Name, pv.Name);
                AlarmIfWaitingLong(pv, "its .sig");
                continue;
            }
            if (!WithinLimit(pv, _options.MaxVoucherBytes, "voucher") || !WithinLimit(sig, _options.MaxSignatureBytes, "signature")) continue;
            if (!IsStable(pv, previous) || !IsStable(sig, previous))
            {
                _logger.LogDebug("{Channel}: {Voucher} seen, taken once unchanged at the next poll", Name, pv.Name);
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
                    if (!WithinLimit(detail, _options.MaxDetailBytes, "detail file")) continue;
                    if (!IsStable(detail, previous))
                    {
                        _logger.LogDebug("{Channel}: {Voucher} waits for {Detail} to stop changing", Name, pv.Name, detailName);
                        continue;
                    }
                    if (!here.Has(detail)) members.Add(detail);
                }
                else if (!here.HasName(detailName))
                {
                    LogOnce($"wait-detail:{pv}", LogLevel.Information, "{Channel}: {Voucher} waits for its detail file {Detail}", Name, pv.Name, detailName);
                    AlarmIfWaitingLong(pv, $"its detail file {detailName}");
                    continue;
                }
            }
            if (!here.Has(sig)) members.Add(sig);
            members.Add(pv); // the voucher last: the local inbox sees the set only when all of it is there

            if (await StageSetAsync(client, pv, members, pvBytes, ct))
            {
                Counters.SetFetched();
                _logger.LogInformation("{Channel}: fetched {Voucher} ({Count} files) into {Inbox}", Name, pv.Name, members.Count, LocalInbox);
            }
        }
    }

    private static bool IsStable(RemoteEntry entry, Dictionary<string, RemoteEntry> previous) =>
        previous.TryGetValue(entry.Name, out var seen) && seen == entry;

    private bool WithinLimit(RemoteEntry entry, long limit, string what)
    {
        if (entry.Size <= limit) return true;
        LogOnce($"size:{entry.Name}:{entry.Size}", LogLevel.Error,
            "{Channel} alarm: {Name} is {Size} bytes, more than the {Limit} allowed for a {What}; not fetched", Name, entry.Name, entry.Size, limit, what);
        return false;
    }

    private string? ReadDetailFileName(byte[] pvBytes, string name)
    {
        using var stream = new MemoryStream(pvBytes, writable: false);
        var read = VoucherXml.Read(stream, name);
        // An unreadable voucher is still fetched with its .sig: the intake answers it with a rejection.
        if (read.Voucher is null) _logger.LogWarning("{Channel}: {Voucher} cannot be read ({Error}); fetched without a detail file", Name, name, read.Error);
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
                var now = await WithTimeoutAsync(t => client.GetAttributesAsync(Remote(_settings.Inbox, entry.Name), t), _options.OperationTimeout, "stat", ct);
                if (now.Size != entry.Size || ToUnix(now.LastWriteTimeUtc) != entry.MtimeUnix)
                    throw new RemoteFileChangedException($"{entry.Name} changed on the server while it was fetched");
            }

            if (_taken.HasName(pv.Name))
            {
                string sm3 = await Sm3.HashFileHexAsync(parts.Single(p => p.Entry == pv).Part, ct);
                if (_taken.ContainsDigest(sm3))
                {
                    LogOnce($"remembered:{pv.Name}:{pv.MtimeUnix}", LogLevel.Warning,
                        "{Channel}: {Voucher} was taken before (remembered by digest {Sm3}); not taken again", Name, pv.Name, sm3);
                    return false;
                }
            }

            foreach (var (_, part, final) in parts) File.Move(part, final, overwrite: true);
            parts.Clear();
            return true;
        }
        catch (RemoteFileChangedException ex)
        {
            Counters.Error();
            foreach (var member in members) Changed(member, ex.Message);
            return false;
        }
        finally
        {
            foreach (var (_, part, _) in parts) TryDelete(part);
        }
    }

    // Forget the sighting: the file must be seen unchanged over a whole poll again.
    private void Changed(RemoteEntry entry, string why)
    {
        _sightings.Remove(entry.Name);
        _detailNames.Remove(entry);
        _logger.LogWarning("{Channel}: {Why}; left for a later poll", Name, why);
    }

    private async Task DownloadAsync(SftpClient client, RemoteEntry entry, Stream target, CancellationToken ct)
    {
        var bounded = new BoundedWriteStream(target, entry.Size, entry.Name);
        await WithTimeoutAsync(async t =>
        {
            await client.DownloadFileAsync(Remote(_settings.Inbox, entry.Name), bounded, t);
            return true;
        }, TransferTimeout(entry.Size), "download", ct);
    }

    /// <summary>
    /// Regular files in the remote inbox under names that may belong to a set. Dot names, <c>.tmp</c>/<c>.part</c>,
    /// symbolic links and other non-regular files are left alone (logged once each).
    /// </summary>
    private async Task<Dictionary<string, RemoteEntry>> ListInboxAsync(SftpClient client, CancellationToken ct)
    {
        var entries = await ListAsync(client, _settings.Inbox, ct);
        var result = new Dictionary<string, RemoteEntry>(StringComparer.Ordinal);
        foreach (var (file, entry) in entries)
        {
            if (file.IsDirectory) continue;
            if (!FileNames.IsSafeFileName(entry.Name))
            {
                LogOnce($"unsafe:{entry.Name}", LogLevel.Warning, "{Channel} ignores {Name} in the remote inbox: not a contract file name", Name, Sanitize(entry.Name));
                continue;
            }
            if (entry.Name.StartsWith('.') || FileNames.IsInProgress(entry.Name))
            {
                LogOnce($"partial:{entry.Name}", LogLevel.Information, "{Channel} leaves {Name} alone: still being written (temporary name)", Name, entry.Name);
                continue;
            }
            if (!file.IsRegularFile || file.IsSymbolicLink)
            {
                LogOnce($"irregular:{entry.Name}", LogLevel.Warning, "{Channel} ignores {Name} in the remote inbox: not a regular file (symbolic link or special file)", Name, entry.Name);
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
                LogOnce($"name:{name}", LogLevel.Warning, "{Channel} ignores {Name} in the remote inbox: not a contract file name", Name, Sanitize(name));
        }
        return result;
    }

    private async Task<List<(Renci.SshNet.Sftp.ISftpFile File, RemoteEntry Entry)>> ListAsync(SftpClient client, string folder, CancellationToken ct)
    {
        return await WithTimeoutAsync(async t =>
        {
            var list = new List<(Renci.SshNet.Sftp.ISftpFile, RemoteEntry)>();
            await foreach (var file in client.ListDirectoryAsync(folder.Length == 0 ? "." : folder, t))
            {
                if (file.Name is "." or "..") continue;
                list.Add((file, new RemoteEntry(file.Name, file.Length, ToUnix(file.LastWriteTimeUtc))));
            }
            return list;
        }, _options.OperationTimeout, "list " + folder, ct);
    }

    /// <summary>What is already local: the staging inbox and its processed/ (where the pipeline moved taken sets).</summary>
    private LocalCopiesIndex LocalCopies()
    {
        var index = new LocalCopiesIndex();
        foreach (var folder in new[] { LocalInbox, Path.Combine(LocalInbox, ProcessedFolder) })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
            {
                if (file.LinkTarget is not null || file.Name.StartsWith('.')) continue;
                index.Add(OriginalName(file.Name), file.Length, ToUnix(file.LastWriteTimeUtc), file.FullName, inProcessed: folder != LocalInbox);
            }
        }
        return index;
    }

    // LocalInbox.MoveToProcessed appends ".yyyyMMddHHmmssfff" when processed/ already holds the name.
    private static string OriginalName(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot > 0 && name.Length - dot - 1 == 17 && name.AsSpan(dot + 1).ContainsAnyExceptInRange('0', '9') == false ? name[..dot] : name;
    }

    private sealed class LocalCopiesIndex
    {
        private readonly Dictionary<string, List<(long Size, long Mtime, string Path, bool InProcessed)>> _byName = new(StringComparer.Ordinal);

        public void Add(string name, long size, long mtime, string path, bool inProcessed)
        {
            if (!_byName.TryGetValue(name, out var list)) _byName[name] = list = [];
            list.Add((size, mtime, path, inProcessed));
        }

        public bool Has(RemoteEntry entry) => Find(entry) is not null;

        public bool HasName(string name) => _byName.ContainsKey(name);

        public string? Find(RemoteEntry entry, bool processedOnly = false) =>
            _byName.TryGetValue(entry.Name, out var list)
                ? list.FirstOrDefault(c => c.Size == entry.Size && c.Mtime == entry.MtimeUnix && (!processedOnly || c.InProcessed)).Path
                : null;

        public IEnumerable<RemoteEntry> Processed() =>
            _byName.SelectMany(kv => kv.Value.Where(c => c.InProcessed).Select(c => new RemoteEntry(kv.Key, c.Size, c.Mtime)));
    }

    // ---------------------------------------------------------------- acknowledge

    /// <inheritdoc />
    public Task AcknowledgeTakenAsync(CancellationToken ct)
    {
        // Nothing taken since the last acknowledgement: no need to connect.
        var here = LocalCopies();
        bool pending;
        lock (_acknowledged) pending = here.Processed().Any(e => !_acknowledged.Contains(e) && !_taken.Contains(e));
        return pending ? RunAsync("acknowledge", (client, t) => AcknowledgeWorkAsync(client, here, t), ct) : Task.CompletedTask;
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

        string processed = Remote(_settings.Inbox, ProcessedFolder);
        string? refusal = await TryEnsureFolderAsync(client, processed, ct);
        foreach (var entry in toMove)
        {
            ct.ThrowIfCancellationRequested();
            if (refusal is null)
            {
                try
                {
                    string target = Remote(processed, entry.Name);
                    if (await WithTimeoutAsync(t => client.ExistsAsync(target, t), _options.OperationTimeout, "exists", ct))
                        target += "." + _clock.GetUtcNow().ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
                    await WithTimeoutAsync(async t =>
                    {
                        await client.RenameFileAsync(Remote(_settings.Inbox, entry.Name), target, t);
                        return true;
                    }, _options.OperationTimeout, "rename", ct);
                    lock (_acknowledged) _acknowledged.Add(entry);
                    Counters.FileAcknowledged();
                    _logger.LogInformation("{Channel}: moved {Name} into the remote {Processed}", Name, entry.Name, processed);
                    continue;
                }
                catch (SshException ex) when (IsRefusal(ex))
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
        _taken.Remember(sm3, entry, _clock.GetUtcNow());
        Counters.FileRemembered();
        _logger.LogWarning("{Channel}: the server refused to move {Name} into processed/ ({Refusal}); remembered by digest {Sm3} in taken.txt, never taken again",
            Name, entry.Name, refusal, sm3);
    }

    /// <summary>Creates <paramref name="folder"/> (and missing parents); returns the server's refusal, or null when it exists.</summary>
    private async Task<string?> TryEnsureFolderAsync(SftpClient client, string folder, CancellationToken ct)
    {
        try
        {
            await EnsureFolderAsync(client, folder, ct);
            return null;
        }
        catch (SshException ex) when (IsRefusal(ex))
        {
            return ex.Message;
        }
    }

    private async Task EnsureFolderAsync(SftpClient client, string folder, CancellationToken ct)
    {
        if (folder.Length == 0 || folder == "/") return;
        if (await WithTimeoutAsync(t => client.ExistsAsync(folder, t), _options.OperationTimeout, "exists", ct))
        {
            var attributes = await WithTimeoutAsync(t => client.GetAttributesAsync(folder, t), _options.OperationTimeout, "stat", ct);
            if (!attributes.IsDirectory) throw new SshException($"{folder} exists and is not a folder");
            return;
        }
        int slash = folder.TrimEnd('/').LastIndexOf('/');
        if (slash > 0) await EnsureFolderAsync(client, folder[..slash], ct);
        await WithTimeoutAsync(async t =>
        {
            await client.CreateDirectoryAsync(folder, t);
            return true;
        }, _options.OperationTimeout, "mkdir", ct);
    }

    // A server's "no" (permission, no such folder, generic failure), as opposed to a lost connection.
    private static bool IsRefusal(SshException ex) =>
        ex is not (SshConnectionException or SshOperationTimeoutException or SshAuthenticationException or ProxyException);

    // ---------------------------------------------------------------- deliver

    /// <inheritdoc />
    public Task DeliverAsync(CancellationToken ct)
    {
        var pending = PendingDeliveries();
        return pending.Count == 0 ? Task.CompletedTask : RunAsync("deliver", (client, t) => DeliverWorkAsync(client, t), ct);
    }

    /// <summary>Outbox files not yet delivered (outbound names only), each file before its own <c>.sig</c>, oldest first.</summary>
    private List<FileInfo> PendingDeliveries()
    {
        // Only the contract's outbound names and their .sig: a differing file set aside as <name>.mismatch, or
        // anything else an operator left there, is never sent to the bureau.
        var files = new DirectoryInfo(LocalOutbox).EnumerateFiles()
            .Where(f => f.LinkTarget is null && FileNames.IsOutboundFileName(f.Name))
            .ToDictionary(f => f.Name, StringComparer.Ordinal);
        var order = new List<FileInfo>();
        foreach (var file in files.Values.Where(f => !f.Name.EndsWith(FileNames.SignatureSuffix, StringComparison.Ordinal))
                     .OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal))
        {
            if (!_delivered.IsDelivered(file)) order.Add(file);
            // A .sig travels only after its file; one whose file is still pending goes right after it.
            if (files.TryGetValue(FileNames.Signature(file.Name), out var sig) && !_delivered.IsDelivered(sig)) order.Add(sig);
        }
        return order;
    }

    private async Task DeliverWorkAsync(SftpClient client, CancellationToken ct)
    {
        await EnsureFolderAsync(client, _settings.Outbox, ct);
        foreach (var file in PendingDeliveries())
        {
            ct.ThrowIfCancellationRequested();
            file.Refresh();
            if (!file.Exists) continue;
            string final = Remote(_settings.Outbox, file.Name);
            string temp = Remote(_settings.Outbox, "." + file.Name + ".tmp");
            await using (var source = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            {
                await WithTimeoutAsync(async t =>
                {
                    await client.UploadFileAsync(source, temp, canOverride: true, uploadProgress: null, t); // a stale .tmp from a broken upload is overwritten
                    return true;
                }, TransferTimeout(file.Length), "upload", ct);
            }
            var uploaded = await WithTimeoutAsync(t => client.GetAttributesAsync(temp, t), _options.OperationTimeout, "stat", ct);
            if (uploaded.Size != file.Length)
                throw new SshConnectionException($"{file.Name}: uploaded {uploaded.Size} of {file.Length} bytes");
            RenameOver(client, temp, final);
            _delivered.Record(file, _clock.GetUtcNow());
            Counters.FileDelivered();
            _logger.LogInformation("{Channel}: delivered {Name} to {Outbox}", Name, file.Name, _settings.Outbox);
        }
    }

    // posix-rename@openssh.com replaces an existing target atomically (a re-sent file); plain SFTP rename refuses to.
    private static void RenameOver(SftpClient client, string temp, string final)
    {
        try
        {
            client.RenameFile(temp, final, isPosix: true);
        }
        catch (NotSupportedException)
        {
            if (client.Exists(final)) client.DeleteFile(final);
            client.RenameFile(temp, final);
        }
    }

    // ---------------------------------------------------------------- health

    /// <inheritdoc />
    public async Task<ChannelHealth> CheckAsync(CancellationToken ct)
    {
        if (_circuit.CircuitState == CircuitState.Open)
            return new ChannelHealth(false, $"circuit open after repeated failures: {_lastFailure}");
        try
        {
            using var client = await ConnectAsync(ct);
            bool inbox = await WithTimeoutAsync(t => client.ExistsAsync(_settings.Inbox.Length == 0 ? "." : _settings.Inbox, t), _options.OperationTimeout, "exists", ct);
            client.Disconnect();
            return inbox
                ? new ChannelHealth(true, $"connected to {_settings.Host}:{_settings.Port}")
                : new ChannelHealth(false, $"remote inbox {_settings.Inbox} not found");
        }
        catch (HostKeyRefusedException ex)
        {
            return new ChannelHealth(false, ex.Message);
        }
        catch (Exception ex) when (ex is SshException or SocketException or ProxyException or IOException or ChannelConfigurationException)
        {
            return new ChannelHealth(false, $"unreachable: {ex.Message}");
        }
    }

    // ---------------------------------------------------------------- connection and resilience

    private async Task RunAsync(string operation, Func<SftpClient, CancellationToken, Task> work, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await _pipeline.ExecuteAsync(async token =>
            {
                using var client = await ConnectAsync(token);
                await work(client, token);
                if (client.IsConnected) client.Disconnect();
            }, ct);
            _lastFailure = null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (BrokenCircuitException)
        {
            _logger.LogWarning("{Channel}: {Operation} skipped, circuit open after repeated failures ({Failure})", Name, operation, _lastFailure);
            throw;
        }
        catch (HostKeyRefusedException ex)
        {
            _lastFailure = ex.Message; // the alarm is already logged
            Counters.Error();
            throw;
        }
        catch (Exception ex) when (ex is SshException or SocketException or ProxyException or IOException or UnauthorizedAccessException or ChannelConfigurationException)
        {
            _lastFailure = ex.Message;
            Counters.Error();
            _logger.LogError("{Channel}: {Operation} failed ({Type}: {Message}); the next poll tries again", Name, operation, ex.GetType().Name, ex.Message);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private ResiliencePipeline BuildPipeline()
    {
        var transient = new PredicateBuilder()
            .Handle<SshConnectionException>()
            .Handle<SocketException>()
            .Handle<SshOperationTimeoutException>()
            .Handle<ProxyException>();
        return new ResiliencePipelineBuilder { TimeProvider = TimeProvider.System } // network time, not the business clock
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = _options.BreakerFailureRatio,
                MinimumThroughput = _options.BreakerMinimumThroughput,
                SamplingDuration = _options.BreakerSamplingDuration,
                BreakDuration = _options.BreakDuration,
                ShouldHandle = transient,
                StateProvider = _circuit,
                OnOpened = args =>
                {
                    Counters.CircuitOpened();
                    _logger.LogError("{Channel} alarm: circuit open for {Seconds:F0} s after repeated failures ({Failure}); the bureau is skipped meanwhile",
                        Name, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    _logger.LogInformation("{Channel}: circuit closed, the bureau answers again", Name);
                    return ValueTask.CompletedTask;
                },
            })
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, _options.RetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,
                ShouldHandle = transient,
                OnRetry = args =>
                {
                    Counters.Retried();
                    _lastFailure = args.Outcome.Exception?.Message;
                    _logger.LogWarning("{Channel}: attempt {Attempt} failed ({Message}); retrying in {Delay:F1} s",
                        Name, args.AttemptNumber + 1, args.Outcome.Exception?.Message, args.RetryDelay.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    private async Task<SftpClient> ConnectAsync(CancellationToken ct)
    {
        var info = new PrivateKeyConnectionInfo(_settings.Host!, _settings.Port, _settings.User!, LoadKey()) { Timeout = _options.ConnectTimeout };
        var client = new SftpClient(info) { OperationTimeout = _options.OperationTimeout, KeepAliveInterval = TimeSpan.FromSeconds(15) };
        string? presented = null;
        bool refused = false;
        client.HostKeyReceived += (_, e) =>
        {
            presented = e.FingerPrintSHA256;
            e.CanTrust = _pin.Matches(e.FingerPrintSHA256);
            refused = !e.CanTrust;
        };
        try
        {
            await WithTimeoutAsync(async t =>
            {
                await client.ConnectAsync(t);
                return true;
            }, _options.ConnectTimeout, "connect", ct);
            return client;
        }
        catch (Exception ex) when (refused && ex is not OperationCanceledException)
        {
            client.Dispose();
            Counters.HostKeyRejected();
            string shown = HostKeyPin.Display(presented);
            _logger.LogError("{Channel} alarm: host key refused. {Host}:{Port} presented {Presented}, the pinned key is {Pinned}; nothing read or written",
                Name, _settings.Host, _settings.Port, shown, _pin);
            throw new HostKeyRefusedException(shown, _pin.ToString());
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private PrivateKeyFile LoadKey()
    {
        lock (_keyLock)
        {
            if (_key is not null) return _key;
            string path = _settings.PrivateKeyFile!;
            string? passphrase = Environment.GetEnvironmentVariable(PassphraseVariable);
            try
            {
                BankGateway.Files.Signing.KeyFiles.EnsureOwnerOnly(path, "private key");
            }
            catch (BankGateway.Files.Signing.KeyFileException ex)
            {
                throw new ChannelConfigurationException(ex.Message, ex);
            }
            try
            {
                _key = string.IsNullOrEmpty(passphrase) ? new PrivateKeyFile(path) : new PrivateKeyFile(path, passphrase);
                return _key;
            }
            catch (SshPassPhraseNullOrEmptyException ex)
            {
                throw new ChannelConfigurationException($"private key {path} is encrypted: set {PassphraseVariable}", ex);
            }
            catch (Exception ex) when (ex is SshException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException or System.Security.Cryptography.CryptographicException)
            {
                throw new ChannelConfigurationException($"private key {path} cannot be used: {ex.Message}", ex);
            }
        }
    }

    // A hung server must not hold a poll forever: every request gets a deadline; expiry counts as transient.
    private static async Task<T> WithTimeoutAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan timeout, string what, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            return await call(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SshOperationTimeoutException($"{what} did not finish within {timeout.TotalSeconds:F0} s");
        }
    }

    private TimeSpan TransferTimeout(long bytes) =>
        _options.OperationTimeout + TimeSpan.FromSeconds((double)bytes / Math.Max(1, _options.MinimumBytesPerSecond));

    // ---------------------------------------------------------------- helpers

    private static HostKeyPin Validate(ChannelSettings s)
    {
        if (s.AdmDivCode is not { Length: 6 } adm || !adm.All(char.IsAsciiDigit)) throw new SettingsException(s.Key("AdmDivCode"), $"'{s.AdmDivCode}' is not a 6-digit division code");
        if (string.IsNullOrWhiteSpace(s.Host)) throw new SettingsException(s.Key("Host"), "required for an Sftp channel");
        if (s.Port is < 1 or > 65535) throw new SettingsException(s.Key("Port"), $"'{s.Port}' is not a TCP port");
        if (string.IsNullOrWhiteSpace(s.User)) throw new SettingsException(s.Key("User"), "required for an Sftp channel");
        if (string.IsNullOrWhiteSpace(s.PrivateKeyFile)) throw new SettingsException(s.Key("PrivateKeyFile"), "required for an Sftp channel (key authentication only)");
        if (!HostKeyPin.TryParse(s.HostKeySha256, out var pin))
            throw new SettingsException(s.Key("HostKeySha256"), $"'{s.HostKeySha256}' is not a fingerprint as ssh-keygen -lf prints it (SHA256:<43 base64 characters>)");
        if (string.IsNullOrWhiteSpace(s.Inbox)) throw new SettingsException(s.Key("Inbox"), "required (\".\" for the login folder)");
        if (string.IsNullOrWhiteSpace(s.Outbox)) throw new SettingsException(s.Key("Outbox"), "required");
        return pin;
    }

    private static string Remote(string folder, string name) =>
        folder.Length == 0 ? name : folder.TrimEnd('/') + "/" + name;

    private static long ToUnix(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();

    // Contract §5 (R01): an incomplete set is never rejected; it waits, and is alarmed after a configured time.
    private void AlarmIfWaitingLong(RemoteEntry pv, string missing)
    {
        var waited = _clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(pv.MtimeUnix);
        if (waited > _options.IncompleteSetAlarm)
            LogOnce($"alarm:{pv}", LogLevel.Error, "{Channel}: alarm: {Voucher} has waited {Minutes:F0} min for {Missing}", Name, pv.Name, waited.TotalMinutes, missing);
    }

    private void LogOnce(string key, LogLevel level, string message, params object?[] args)
    {
        lock (_loggedOnce)
        {
            if (_loggedOnce.Count > 10_000) _loggedOnce.Clear(); // a flood of odd names is logged again now and then, never held forever
            if (!_loggedOnce.Add(key)) return;
        }
        _logger.Log(level, message, args);
    }

    private static string Sanitize(string name) => new(name.Select(c => char.IsControl(c) ? '?' : c).Take(120).ToArray());

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _key?.Dispose();
        _gate.Dispose();
    }
}
