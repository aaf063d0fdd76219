using System.Globalization;
using System.Text;

namespace BankGateway.Worker.Intake.Channels.Sftp;

/// <summary>A file in a remote folder as listed: name, size and modification time (whole seconds, as SFTP carries it).</summary>
internal sealed record RemoteEntry(string Name, long Size, long MtimeUnix)
{
    public bool SameAs(long size, long mtimeUnix) => Size == size && MtimeUnix == mtimeUnix;
}

/// <summary>
/// <c>&lt;home&gt;/channels/&lt;adm&gt;/taken.txt</c>: remote files the pipeline took whose rename into the remote
/// <c>processed/</c> the server refused. One line per file, <c>sm3 size mtime name recordedAt</c>, tab-separated,
/// appended and flushed to disk. Such a file is skipped when listing (same name, size and time) and, if it
/// reappears touched, discarded after download when its digest is remembered: never taken twice.
/// </summary>
internal sealed class TakenLedger
{
    private readonly string _path;
    private readonly List<(string Sm3, RemoteEntry Entry)> _entries = [];
    private readonly Lock _lock = new();

    public TakenLedger(string path)
    {
        _path = path;
        if (!File.Exists(path)) return;
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            if (f.Length >= 4 && long.TryParse(f[1], CultureInfo.InvariantCulture, out long size) && long.TryParse(f[2], CultureInfo.InvariantCulture, out long mtime))
                _entries.Add((f[0], new RemoteEntry(f[3], size, mtime)));
        }
    }

    public bool Contains(RemoteEntry entry)
    {
        lock (_lock) return _entries.Any(e => e.Entry == entry);
    }

    public bool HasName(string name)
    {
        lock (_lock) return _entries.Any(e => e.Entry.Name == name);
    }

    public bool ContainsDigest(string sm3)
    {
        lock (_lock) return _entries.Any(e => e.Sm3 == sm3);
    }

    public void Remember(string sm3, RemoteEntry entry, DateTimeOffset at)
    {
        lock (_lock)
        {
            if (_entries.Any(e => e.Sm3 == sm3 && e.Entry == entry)) return;
            Ledger.Append(_path, string.Join('\t', sm3, entry.Size.ToString(CultureInfo.InvariantCulture),
                entry.MtimeUnix.ToString(CultureInfo.InvariantCulture), entry.Name, at.ToString("O", CultureInfo.InvariantCulture)));
            _entries.Add((sm3, entry));
        }
    }
}

/// <summary>
/// <c>&lt;home&gt;/channels/&lt;adm&gt;/delivered.txt</c>: outbox files already uploaded, as
/// <c>name size mtimeTicks deliveredAt</c>. A file whose size or time changed (a <c>.sig</c> made anew) is sent again.
/// </summary>
internal sealed class DeliveredLedger
{
    private readonly string _path;
    private readonly HashSet<(string Name, long Size, long Ticks)> _delivered = [];
    private readonly Lock _lock = new();

    public DeliveredLedger(string path)
    {
        _path = path;
        if (!File.Exists(path)) return;
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            if (f.Length >= 3 && long.TryParse(f[1], CultureInfo.InvariantCulture, out long size) && long.TryParse(f[2], CultureInfo.InvariantCulture, out long ticks))
                _delivered.Add((f[0], size, ticks));
        }
    }

    public bool IsDelivered(FileInfo file)
    {
        lock (_lock) return _delivered.Contains((file.Name, file.Length, file.LastWriteTimeUtc.Ticks));
    }

    public void Record(FileInfo file, DateTimeOffset at)
    {
        lock (_lock)
        {
            if (!_delivered.Add((file.Name, file.Length, file.LastWriteTimeUtc.Ticks))) return;
            Ledger.Append(_path, string.Join('\t', file.Name, file.Length.ToString(CultureInfo.InvariantCulture),
                file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture), at.ToString("O", CultureInfo.InvariantCulture)));
        }
    }
}

internal static class Ledger
{
    // One line, then fsync: a crash loses at most the line being written (re-read skips a torn last line).
    public static void Append(string path, string line)
    {
        using var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        fs.Write(Encoding.UTF8.GetBytes(line + "\n"));
        fs.Flush(flushToDisk: true);
    }
}
