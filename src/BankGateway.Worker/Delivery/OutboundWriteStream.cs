using System.Threading.Channels;
using BankGateway.Files.Signing;
using Npgsql;
using NpgsqlTypes;

namespace BankGateway.Worker.Delivery;

/// <summary>
/// What an outbound file is written through: every byte goes to the local file, into its SM3 and its SM2
/// signature, and, in parts of <see cref="OutboundStore.PartBytes"/>, into <c>outbound_file_parts</c> in the
/// recording transaction. One pass: the file is never read back to be hashed, signed or stored (a 1M-line RS_
/// was read three more times). Parts are inserted by a background task while the producer goes on writing, so
/// PostgreSQL compresses one part while the next is formatted; at most <see cref="PartsInFlight"/> wait.
/// </summary>
internal sealed class OutboundWriteStream : Stream
{
    private const int PartsInFlight = 4;

    private readonly Stream _file;
    private readonly Sm3Hasher _sm3 = new();
    private readonly Sm2Signing _signing;
    private readonly Channel<(int PartNo, byte[] Bytes)> _parts = Channel.CreateBounded<(int, byte[])>(PartsInFlight);
    private readonly Task _inserting;
    private byte[] _part = new byte[OutboundStore.PartBytes];
    private int _filled, _partNo;

    public OutboundWriteStream(Stream file, Sm2PrivateKey key, NpgsqlConnection connection, NpgsqlTransaction tx, string fileName)
    {
        _file = file;
        _signing = key.BeginSigning();
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
        if (_filled > 0 || _partNo == 0) Send(_part[.._filled]);
        _parts.Writer.Complete();
        await _inserting;
        return (_sm3.FinishHex(), _signing.Finish());
    }

    private void Take(ReadOnlySpan<byte> bytes)
    {
        _sm3.Append(bytes);
        _signing.Append(bytes);
        BytesWritten += bytes.Length;
        while (!bytes.IsEmpty)
        {
            int n = Math.Min(bytes.Length, _part.Length - _filled);
            bytes[..n].CopyTo(_part.AsSpan(_filled));
            _filled += n;
            bytes = bytes[n..];
            if (_filled == _part.Length)
            {
                Send(_part);
                _part = new byte[OutboundStore.PartBytes];
                _filled = 0;
            }
        }
    }

    private void Send(byte[] part)
    {
        // The producer writes synchronously (StreamWriter); it waits here only when PostgreSQL is PartsInFlight behind.
        if (_inserting.IsFaulted) _inserting.GetAwaiter().GetResult();
        var item = (_partNo++, part);
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
            await foreach (var (partNo, bytes) in _parts.Reader.ReadAllAsync())
            {
                insert.Parameters[1].Value = partNo;
                insert.Parameters[2].Value = bytes;
                await insert.ExecuteNonQueryAsync();
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
