namespace BankGateway.Worker.Archive;

/// <summary>
/// An archive copy written in the same pass as the file it keeps (see <see cref="ArchiveStore.BeginCopy"/>): the bytes
/// that go into the file's SM3 go here too, so the copy is kept with that SM3 and is never read back to be hashed.
/// A copy that cannot be written (disk full, permissions) stops taking bytes and is an alarm when kept: keeping
/// never stops a payment or an answer. Its creator owns it: disposing deletes whatever was not kept.
/// </summary>
internal sealed class ArchiveCopy : IDisposable
{
    private FileStream? _stream;

    internal ArchiveCopy(string kind, string admDivCode, string fileName, DateOnly month, string directory)
    {
        Kind = kind;
        AdmDivCode = admDivCode;
        FileName = fileName;
        Month = month;
        Directory = directory;
        TempPath = Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");
    }

    public string Kind { get; }

    public string AdmDivCode { get; }

    public string FileName { get; }

    /// <summary>The China-time month the copy is filed under, fixed when it began.</summary>
    public DateOnly Month { get; }

    internal string Directory { get; }

    internal string TempPath { get; }

    /// <summary>
    /// The SM3 of every byte written, once the writer has seen them all and checked them (an inbound detail file
    /// whose bytes matched the voucher's SM3); null while the copy may be partial.
    /// </summary>
    public string? Sm3 { get; private set; }

    /// <summary>Says the copy is whole and its bytes have SM3 <paramref name="sm3"/>.</summary>
    public void Complete(string sm3) => Sm3 = sm3;

    /// <summary>Why the copy stopped taking bytes, if it did.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The next bytes of the file (called by one writer at a time, in file order).</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (Failure is not null) return;
        try
        {
            if (_stream is null)
            {
                System.IO.Directory.CreateDirectory(Directory);
                _stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            }
            _stream.Write(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failure = e;
            CloseQuietly(); // its buffered bytes would fail to flush the same way; the file's writer must not see that
        }
    }

    private void CloseQuietly()
    {
        try { _stream?.Dispose(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        _stream = null;
    }

    /// <summary>Closes the copy; true when every byte was written (an empty file is created here).</summary>
    internal bool Close()
    {
        if (Failure is null && _stream is null) Write([]);
        try
        {
            _stream?.Dispose();
        }
        catch (IOException e)
        {
            Failure ??= e;
        }
        _stream = null;
        return Failure is null;
    }

    public void Dispose()
    {
        CloseQuietly();
        try
        {
            if (File.Exists(TempPath)) File.Delete(TempPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stray temporary file is never a kept copy: archive verify checks the recorded rows only.
        }
    }
}
