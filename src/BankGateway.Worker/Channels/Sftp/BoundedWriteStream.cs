namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// Passes writes to <paramref name="inner"/> but refuses more than <paramref name="limit"/> bytes: a remote file
/// that grows while it is downloaded is abandoned rather than filling the disk.
/// </summary>
internal sealed class BoundedWriteStream(Stream inner, long limit, string name) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Count(buffer.Length);
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Count(buffer.Length);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private void Count(int bytes)
    {
        if (Written + bytes > limit) throw new RemoteFileChangedException($"{name} grew beyond its listed {limit} bytes while it was downloaded");
        Written += bytes;
    }
}

/// <summary>A remote file changed (size, time, truncated transfer) while it was fetched: the set waits for the next poll.</summary>
internal sealed class RemoteFileChangedException(string message) : IOException(message);

/// <summary>The server presented a host key other than the pinned one; never retried.</summary>
internal sealed class HostKeyRefusedException(string presented, string pinned)
    : Exception($"host key refused: the server presented {presented}, the pinned key is {pinned}")
{
    public string Presented { get; } = presented;
}

/// <summary>The channel's own settings cannot be used (key file missing, passphrase absent); never retried.</summary>
internal sealed class ChannelConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
