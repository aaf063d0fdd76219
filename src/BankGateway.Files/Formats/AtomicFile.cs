namespace BankGateway.Files.Formats;

/// <summary>
/// Writes a file so that its final name only ever holds complete content (contract §1): the content goes to
/// <c>.&lt;name&gt;.tmp</c> in the same directory, is flushed to disk (<c>fsync</c>), then renamed over the
/// target (an atomic <c>rename(2)</c> on one file system). A crash leaves at most a stale temp file, which the
/// next write replaces; intake ignores <c>.tmp</c> names.
/// </summary>
public static class AtomicFile
{
    /// <summary>The temporary name used for <paramref name="path"/>.</summary>
    public static string TempPath(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp");
    }

    /// <summary>Writes <paramref name="path"/> atomically with the content produced by <paramref name="write"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var temp = TempPath(path);
        try
        {
            using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Async variant of <see cref="Write"/>.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        var temp = TempPath(path);
        try
        {
            var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
            await using (fs.ConfigureAwait(false))
            {
                await write(fs, cancellationToken).ConfigureAwait(false);
                await fs.FlushAsync(cancellationToken).ConfigureAwait(false);
                fs.Flush(flushToDisk: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
