using System.Buffers;
using System.Threading.Channels;
using BankGateway.Worker.Archive;
using BankGateway.Files.Signing;
using Npgsql;
using NpgsqlTypes;

namespace BankGateway.Worker.Delivery;

/// <summary>
/// What an outbound file is written through: every byte goes to the local file, into its SM3 and its SM2
/// signature, into its archive copy, and, in parts of <see cref="OutboundStore.PartBytes"/>, into
/// <c>outbound_file_parts</c> in the recording transaction. One pass: the file is never read back to be hashed,
/// signed, stored or archived (a 1M-line RS_ was read four more times). The producer's thread writes the file and
/// its SM3; a background task takes each full part, signs it (the signature's SM3 over Z‖M is a second hash of
/// every byte) and copies it to the archive while PostgreSQL compresses and inserts it, so the two hashes run on
/// two cores. At most <see cref="PartsInFlight"/> parts wait.
/// </summary>
internal sealed class OutboundWriteStream : Stream
{
    private const int PartsInFlight = 4;

    private readonly Stream _file;
    private readonly Sm3Hasher _sm3 = new();
    private readonly Sm2Signing _signing;
    private readonly ArchiveCopy? _archive;
    private readonly Channel<(int PartNo, byte[] Bytes, int Length)> _parts = Channel.CreateBounded<(int, byte[], int)>(PartsInFlight);
    private readonly Task _inserting;
    // Parts come from the shared pool and go back once inserted: a fresh 1 MiB array per part was a zeroed
    // large-object allocation each, and those count towards full collections.
    private byte[] _part = ArrayPool<byte>.Shared.Rent(OutboundStore.PartBytes);
    private int _filled, _partNo;

    public OutboundWriteStream(Stream file, Sm2PrivateKey key, NpgsqlConnection connection, NpgsqlTransaction tx, string fileName, ArchiveCopy? archive)
    {
        _file = file;
        _signing = key.BeginSigning();
        _archive = archive;
        _inserting = InsertPartsAsync(connection, tx, fileName);
    }

    public long BytesWritten { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _file.Write(buffer);
        Take(buffer);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _file.WriteAsync(buffer, cancellationToken);
        Take(buffer.Span);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// Ends the file: the last part is stored and every insert awaited (their errors surface here). Returns the SM3
    /// (hex) and the DER signature of all bytes written. The local file is the caller's to flush.
    /// </summary>
    public async Task<(string Sm3, byte[] Signature)> FinishAsync()
    {
        if (_filled > 0 || _partNo == 0) Send(_part, _filled);
        else ArrayPool<byte>.Shared.Return(_part);
        _parts.Writer.Complete();
        await _inserting;
        return (_sm3.FinishHex(), _signing.Finish());
    }

    private void Take(ReadOnlySpan<byte> bytes)
    {
        _sm3.Append(bytes);
        BytesWritten += bytes.Length;
        while (!bytes.IsEmpty)
        {
            int n = Math.Min(bytes.Length, OutboundStore.PartBytes - _filled);
            bytes[..n].CopyTo(_part.AsSpan(_filled));
            _filled += n;
            bytes = bytes[n..];
            if (_filled == OutboundStore.PartBytes)
            {
                Send(_part, _filled);
                _part = ArrayPool<byte>.Shared.Rent(OutboundStore.PartBytes);
                _filled = 0;
            }
        }
    }

    private void Send(byte[] part, int length)
    {
        // The producer writes synchronously (StreamWriter); it waits here only when PostgreSQL is PartsInFlight behind.
        if (_inserting.IsFaulted) _inserting.GetAwaiter().GetResult();
        var item = (_partNo++, part, length);
        try
        {
            if (!_parts.Writer.TryWrite(item)) _parts.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            _inserting.GetAwaiter().GetResult(); // the insert's own error, not the closed channel
            throw;
        }
    }

    /// <summary>The producer failed: stops the inserts (the caller rolls their transaction back).</summary>
    public async Task AbandonAsync()
    {
        _parts.Writer.TryComplete();
        // The producer's error is the one reported; an insert failing meanwhile only adds to it.
        try { await _inserting; }
        catch (Exception) { }
    }

    private async Task InsertPartsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string fileName)
    {
        try
        {
            await using var insert = new NpgsqlCommand("insert into outbound_file_parts (file_name, part_no, bytes) values ($1, $2, $3)", connection, tx);
            insert.Parameters.Add(new NpgsqlParameter { Value = fileName });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bytea });
            await foreach (var (partNo, bytes, length) in _parts.Reader.ReadAllAsync())
            {
                insert.Parameters[1].Value = partNo;
                insert.Parameters[2].Value = new ArraySegment<byte>(bytes, 0, length); // a pooled array may be longer than the part
                var inserted = insert.ExecuteNonQueryAsync();
                // While PostgreSQL compresses and stores the part, this thread signs and archives it; they only read it.
                var part = bytes.AsSpan(0, length);
                _signing.Append(part);
                _archive?.Write(part);
                await inserted;
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        catch
        {
            _parts.Writer.TryComplete(); // a producer blocked on a full channel must not wait forever
            throw;
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => BytesWritten;
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
    public override void Flush() => _file.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => _file.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
