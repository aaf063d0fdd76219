using System.Buffers;

namespace BankGateway.Files.Signing;

/// <summary>SM3 hashing (GB/T 32905-2016) of buffers and files; results are lowercase hex.</summary>
public static class Sm3
{
    /// <summary>Read size for files: large reads keep the compression loop busy and syscalls few.</summary>
    internal const int FileBufferSize = 1 << 20;

    /// <summary>SM3 of <paramref name="data"/> as 64 lowercase hex characters.</summary>
    public static string HashHex(ReadOnlySpan<byte> data)
    {
        var hasher = new Sm3Hasher();
        hasher.Append(data);
        return hasher.FinishHex();
    }

    /// <summary>SM3 of the file's exact bytes, streamed in 1 MiB chunks.</summary>
    public static string HashFileHex(string path)
    {
        using var stream = OpenSequential(path, useAsync: false);
        return HashStreamHex(stream);
    }

    /// <summary>SM3 of everything remaining in <paramref name="stream"/>.</summary>
    public static string HashStreamHex(Stream stream)
    {
        var hasher = new Sm3Hasher();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(FileBufferSize);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, FileBufferSize)) > 0)
                hasher.Append(buffer.AsSpan(0, read));
            return hasher.FinishHex();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>SM3 of the file's exact bytes, read asynchronously in 1 MiB chunks.</summary>
    public static async Task<string> HashFileHexAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = OpenSequential(path, useAsync: true);
        var hasher = new Sm3Hasher();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(FileBufferSize);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, FileBufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                hasher.Append(buffer.AsSpan(0, read));
            return hasher.FinishHex();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Opens a file for one sequential pass; bufferSize 1 disables FileStream's own buffer (we read 1 MiB at a time).</summary>
    internal static FileStream OpenSequential(string path, bool useAsync) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1,
            FileOptions.SequentialScan | (useAsync ? FileOptions.Asynchronous : FileOptions.None));
}
