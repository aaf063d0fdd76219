using BankGateway.Files.Formats;
using Microsoft.Extensions.Logging;

namespace BankGateway.Worker.Intake;

/// <summary>
/// A local inbox folder: finds complete voucher sets in order of arrival and moves taken sets to
/// <c>processed/</c>. Only regular files with contract names are ever opened; symbolic links,
/// folders and other names are logged and left alone.
/// </summary>
internal sealed class LocalInbox(string inbox, ILogger logger, TimeSpan incompleteAlarm, TimeProvider clock, bool stableAcrossPolls = false)
{
    public const string ProcessedFolder = "processed";

    // What each polled folder looked like at the previous poll: a file is stable when its size and
    // modification time have not changed since (contract §1). The service polls; run-once looks once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Dictionary<string, (long Size, DateTime Mtime)>> PreviousPolls = new();

    private readonly Dictionary<string, (long Size, DateTime Mtime)> _seen = new(StringComparer.Ordinal);

    public string Folder { get; } = Path.GetFullPath(inbox);

    public string Processed => Path.Combine(Folder, ProcessedFolder);

    /// <summary>Complete sets, oldest first (modification time, then file name).</summary>
    public IReadOnlyList<VoucherSet> FindCompleteSets()
    {
        if (!Directory.Exists(Folder)) throw new DirectoryNotFoundException($"inbox folder not found: {Folder}");
        var regular = new Dictionary<string, FileInfo>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(Folder).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo) continue;
            if (entry.LinkTarget is not null || (entry.Attributes & FileAttributes.ReparsePoint) != 0)
            {
                logger.LogWarning("Intake ignores {Name} in {Inbox}: not a regular file (symbolic link)", Sanitize(entry.Name), Folder);
                continue;
            }
            if (IsPartial(entry.Name)) continue;
            var file = (FileInfo)entry;
            _seen[entry.Name] = (file.Length, file.LastWriteTimeUtc);
            regular[entry.Name] = file;
        }
        if (stableAcrossPolls)
        {
            var previous = PreviousPolls.GetValueOrDefault(Folder) ?? [];
            PreviousPolls[Folder] = new Dictionary<string, (long, DateTime)>(_seen, StringComparer.Ordinal);
            foreach (var name in regular.Keys.ToList())
                if (!previous.TryGetValue(name, out var before) || before != _seen[name])
                {
                    logger.LogInformation("Intake waits: {Name} is new or still changing since the last poll", Sanitize(name));
                    regular.Remove(name);
                }
        }

        var sets = new List<VoucherSet>();
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in regular.Values.OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal))
        {
            if (!FileNames.TryParseVoucherFileName(file.Name, out var adm, out var no)) continue;
            var set = TryCompleteSet(file, adm, no, regular);
            if (set is null) continue;
            sets.Add(set);
            foreach (var member in set.MemberPaths) claimed.Add(Path.GetFileName(member));
        }

        foreach (var name in regular.Keys)
        {
            if (claimed.Contains(name) || FileNames.TryParseVoucherFileName(name, out _, out _)) continue;
            if (name.EndsWith(".sig", StringComparison.Ordinal) || name.StartsWith("QC_", StringComparison.Ordinal)) continue;
            logger.LogWarning("Intake ignores {Name} in {Inbox}: not a contract file name", Sanitize(name), Folder);
        }
        return sets;
    }

    private VoucherSet? TryCompleteSet(FileInfo voucher, string adm, string no, Dictionary<string, FileInfo> regular)
    {
        string? sig = Member(voucher.Name + ".sig", regular);
        if (sig is null)
        {
            AlarmIfOld(voucher, "its .sig");
            return null;
        }
        string? detailName = PeekDetailFileName(voucher.FullName);
        if (detailName is null)
            return new VoucherSet(adm, no, voucher.FullName, sig, null, voucher.LastWriteTimeUtc);
        string? detail = Member(detailName, regular);
        if (detail is null)
        {
            AlarmIfOld(voucher, $"its detail file {Sanitize(detailName)}");
            return null;
        }
        return new VoucherSet(adm, no, voucher.FullName, sig, detail, voucher.LastWriteTimeUtc);
    }

    // A member is in the inbox, or already in processed/ when a crash interrupted the move;
    // intake then recognises the set by digest and finishes the move.
    private string? Member(string name, Dictionary<string, FileInfo> regular)
    {
        if (regular.ContainsKey(name)) return Path.Combine(Folder, name);
        var moved = new FileInfo(Path.Combine(Processed, name));
        return moved.Exists && moved.LinkTarget is null ? moved.FullName : null;
    }

    private static string? PeekDetailFileName(string voucherPath)
    {
        try
        {
            using var stream = File.OpenRead(voucherPath);
            var read = VoucherXml.Read(stream, Path.GetFileName(voucherPath));
            return read.Voucher?.DetailFile;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private void AlarmIfOld(FileInfo voucher, string missing)
    {
        var age = clock.GetUtcNow().UtcDateTime - voucher.LastWriteTimeUtc;
        if (age > incompleteAlarm)
            logger.LogError("Intake alarm: {Voucher} has waited {Minutes:F0} min for {Missing}", voucher.Name, age.TotalMinutes, missing);
        else
            logger.LogInformation("Intake waits: {Voucher} is incomplete, {Missing} has not arrived", voucher.Name, missing);
    }

    /// <summary>True when no member of the set changed size or time since it was listed (a writer still at work).</summary>
    public bool IsUnchanged(VoucherSet set)
    {
        foreach (var path in set.MemberPaths)
        {
            string name = Path.GetFileName(path);
            if (!_seen.TryGetValue(name, out var listed) || !string.Equals(Path.GetDirectoryName(path), Folder, StringComparison.Ordinal)) continue;
            var now = new FileInfo(path);
            if (!now.Exists || (now.Length, now.LastWriteTimeUtc) != listed) return false;
        }
        return true;
    }

    /// <summary>Moves the members still in the inbox to processed/; safe to repeat after a crash.</summary>
    public void MoveToProcessed(VoucherSet set)
    {
        Directory.CreateDirectory(Processed);
        // The voucher goes last: while it is in the inbox the set is still found and the move finished.
        var order = set.MemberPaths.Where(p => p != set.VoucherPath).Append(set.VoucherPath);
        foreach (var path in order)
        {
            if (!string.Equals(Path.GetDirectoryName(path), Folder, StringComparison.Ordinal) || !File.Exists(path)) continue;
            var target = Path.Combine(Processed, Path.GetFileName(path));
            if (File.Exists(target))
                target += "." + clock.GetUtcNow().ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
            File.Move(path, target);
        }
    }

    private static bool IsPartial(string name) =>
        name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith('.');

    // File names come from outside: log them without control characters.
    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsControl(c) ? '?' : c).Take(120).ToArray());
}
