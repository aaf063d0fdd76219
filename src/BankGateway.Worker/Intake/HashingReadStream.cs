using System.Buffers;
using System.Threading.Channels;
using BankGateway.Files.Signing;
using BankGateway.Worker.Archive;

namespace BankGateway.Worker.Intake;

/// <summary>
/// A read-only stream over a detail file that hashes every byte read through it with SM3 and, when given, writes it
/// to the file's archive copy: what is parsed and recorded is exactly what is hashed and kept (contract §12). Both
/// happen on a background task, fed a copy of each read, so the SM3 of a large list (about 0.45 s per 120 MB) runs on
/// the second core while the reader parses and records (D60).
/// </summary>
internal sealed class HashingReadStream : Stream
{
    private const int ReadsInFlight = 64;

    private readonly Stream _inner;
    private readonly Channel<(byte[] Bytes, int Length)> _reads =
        Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(ReadsInFlight) { SingleReader = true, SingleWriter = true });
    private readonly Sm3Hasher _sm3 = new();
    private readonly ArchiveCopy? _archive;
    private readonly Task _hashing;
    private long _read;

    public HashingReadStream(Stream inner, ArchiveCopy? archive)
    {
        _inner = inner;
        _archive = archive;
        _hashing = Task.Run(HashAsync);
    }

    /// <summary>The SM3 (lowercase hex) of every byte read; call once, after the last read.</summary>
    public async Task<string> FinishHexAsync()
    {
        _reads.Writer.TryComplete();
        await _hashing.ConfigureAwait(false);
        return _sm3.FinishHex();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        Pass(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Pass(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Pass(ReadOnlySpan<byte> bytes)
    {
        _read += bytes.Length;
        if (bytes.IsEmpty) return;
        var copy = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(copy);
        // The reader waits here only when the hash is ReadsInFlight reads behind.
        if (!_reads.Writer.TryWrite((copy, bytes.Length)))
            _reads.Writer.WriteAsync((copy, bytes.Length)).AsTask().GetAwaiter().GetResult();
    }

    private async Task HashAsync()
    {
        try
        {
            await foreach (var (bytes, length) in _reads.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                _sm3.Append(bytes.AsSpan(0, length));
                _archive?.Write(bytes.AsSpan(0, length));
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        catch (Exception e)
        {
            _reads.Writer.TryComplete(e); // a reader blocked on a full channel gets the error instead of waiting forever
            throw;
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _inner.Length;
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // A read that stopped early (R03, R06): the background task ends with the channel; the inner stream is the caller's.
            _reads.Writer.TryComplete();
            try { _hashing.GetAwaiter().GetResult(); } catch (Exception) { }
        }
        base.Dispose(disposing);
    }
}
