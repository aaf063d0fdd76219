using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;
using Npgsql;

namespace BankGateway.Worker.Intake;

/// <summary>
/// Records a voucher's lines durably with one binary COPY, inside the caller's transaction, so a
/// voucher is either recorded with all its lines or not at all. Lines are append-only afterwards.
/// </summary>
/// <remarks>
/// The rows are encoded here in PostgreSQL's binary COPY format (D62) and sent through a raw COPY stream: Npgsql's
/// typed importer resolves, binds and writes each of a row's 17 fields through its parameter machinery, which cost
/// the node more than the parse of the line itself. The bytes are those the typed importer sent: big-endian
/// integers, strict UTF-8 text (an unpaired surrogate throws, as it did there), -1 for NULL.
/// </remarks>
internal sealed class LineRecorder : IAsyncDisposable
{
    private const string Copy = """
        COPY voucher_lines (voucher_id, row_no, file_line, seq_no, name, id_number, account_no, dept_name,
                            subsidy_name, amount_text, amount_fen, period, phone, orig_voucher_no, orig_seq_no,
                            remark, precheck_code)
        FROM STDIN (FORMAT BINARY)
        """;

    private const short FieldCount = 17;

    // "PGCOPY\n\377\r\n\0", flags 0, header extension length 0 (PostgreSQL docs, COPY, Binary Format).
    private static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private const int BufferBytes = 64 * 1024;

    private readonly NpgsqlRawCopyStream _copy;
    private readonly long _voucherId;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
    private int _used;
    private int _rowNo;
    private bool _ended;

    private LineRecorder(NpgsqlRawCopyStream copy, long voucherId)
    {
        _copy = copy;
        _voucherId = voucherId;
        Header.CopyTo(_buffer);
        _used = Header.Length;
    }

    public static async Task<LineRecorder> StartAsync(NpgsqlConnection connection, long voucherId, CancellationToken ct) =>
        new(await connection.BeginRawBinaryCopyAsync(Copy, ct), voucherId);

    public int Rows => _rowNo;

    // Synchronous writes: the stream buffers, and an await per line costs more than the encoding.
    public void Write(IssuanceLine line, FailureCode precheck, long? reportedFen)
    {
        _rowNo++;
        int most = MaxRowBytes(line);
        if (_buffer.Length - _used < most) Flush(most);
        var row = _buffer.AsSpan(_used);
        int at = 0;
        BinaryPrimitives.WriteInt16BigEndian(row, FieldCount);
        at += 2;
        at += Int64(row[at..], _voucherId);
        at += Int32(row[at..], _rowNo);
        at += Int32(row[at..], (int)line.FileLine);
        at += Text(row[at..], line.SeqNo);
        at += Text(row[at..], line.Name);
        at += Text(row[at..], line.IdNumber);
        at += Text(row[at..], line.AccountNo);
        at += Text(row[at..], line.DeptName);
        at += Text(row[at..], line.SubsidyName);
        at += Text(row[at..], line.Amount);
        at += reportedFen is { } fen ? Int64(row[at..], fen) : Null(row[at..]);
        at += Text(row[at..], line.Period);
        at += Text(row[at..], line.Phone);
        at += Text(row[at..], line.OrigVoucherNo);
        at += Text(row[at..], line.OrigSeqNo);
        at += Text(row[at..], line.Remark);
        at += precheck == FailureCode.None ? Null(row[at..]) : Int16(row[at..], (short)precheck);
        _used += at;
    }

    /// <summary>Completes the COPY; without this call disposing cancels it (and the caller's transaction rolls back).</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        if (_buffer.Length - _used < 2) Flush(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_used), -1); // the file trailer
        _used += 2;
        await _copy.WriteAsync(_buffer.AsMemory(0, _used), ct);
        _used = 0;
        _ended = true;
        await _copy.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_ended)
            {
                _ended = true;
                await _copy.CancelAsync();
            }
        }
        catch (Exception e) when (e is NpgsqlException or ObjectDisposedException or IOException)
        {
            // The COPY already ended with the failure being unwound (a broken connection): nothing was committed, and
            // that failure, not this one, is the caller's to see.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    private void Flush(int room)
    {
        _copy.Write(_buffer, 0, _used);
        _used = 0;
        if (_buffer.Length < room)
        {
            // A line with a very long field (a 备注 of megabytes is refused later, but recorded as read).
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(room);
        }
    }

    // Field count, 17 lengths, the fixed-size values, and each text at its UTF-8 worst case.
    private static int MaxRowBytes(IssuanceLine line) =>
        2 + FieldCount * 4 + 8 + 4 + 4 + 8 + 2 + StrictUtf8.GetMaxByteCount(
            line.SeqNo.Length + line.Name.Length + line.IdNumber.Length + line.AccountNo.Length + line.DeptName.Length
            + line.SubsidyName.Length + line.Amount.Length + line.Period.Length + line.Phone.Length
            + line.OrigVoucherNo.Length + line.OrigSeqNo.Length + line.Remark.Length);

    private static int Int64(Span<byte> to, long value)
    {
        BinaryPrimitives.WriteInt32BigEndian(to, 8);
        BinaryPrimitives.WriteInt64BigEndian(to[4..], value);
        return 12;
    }

    private static int Int32(Span<byte> to, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(to, 4);
        BinaryPrimitives.WriteInt32BigEndian(to[4..], value);
        return 8;
    }

    private static int Int16(Span<byte> to, short value)
    {
        BinaryPrimitives.WriteInt32BigEndian(to, 2);
        BinaryPrimitives.WriteInt16BigEndian(to[4..], value);
        return 6;
    }

    private static int Null(Span<byte> to)
    {
        BinaryPrimitives.WriteInt32BigEndian(to, -1);
        return 4;
    }

    private static int Text(Span<byte> to, string value)
    {
        int length = StrictUtf8.GetBytes(value, to[4..]);
        BinaryPrimitives.WriteInt32BigEndian(to, length);
        return 4 + length;
    }
}
