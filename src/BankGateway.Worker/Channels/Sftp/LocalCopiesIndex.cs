namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// What of a remote inbox is already local: the staging inbox and its processed/ (where the pipeline moved taken
/// sets), by original name, size and modification time, so a staged or taken file is never fetched again.
/// </summary>
internal sealed class LocalCopiesIndex
{
    private readonly Dictionary<string, List<(long Size, long Mtime, string Path, bool InProcessed)>> _byName = new(StringComparer.Ordinal);

    public static LocalCopiesIndex Of(string localInbox)
    {
        var index = new LocalCopiesIndex();
        foreach (var folder in new[] { localInbox, Path.Combine(localInbox, SftpInbox.ProcessedFolder) })
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
            {
                if (file.LinkTarget is not null || file.Name.StartsWith('.')) continue;
                index.Add(OriginalName(file.Name), file.Length, SftpConnection.ToUnix(file.LastWriteTimeUtc), file.FullName, inProcessed: folder != localInbox);
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

    private void Add(string name, long size, long mtime, string path, bool inProcessed)
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
