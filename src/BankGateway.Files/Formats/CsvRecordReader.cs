using System.Buffers;
using System.Text;
using BankGateway.Domain.Codes;

namespace BankGateway.Files.Formats;

/// <summary>
/// Streaming RFC 4180 record reader shared by every CSV of the contract. Decodes the stream in 64 KiB
/// blocks into one char buffer and scans it with vectorised span searches; a record's fields are
/// slices of that buffer, valid until the next <see cref="TryReadRecord"/>. Lines without a quote take
/// a fast path (split on commas); quoted fields ("" escapes, commas, CR/LF inside) take the slow path
/// and are unescaped in place. CRLF and LF both end a record; a BOM (U+FEFF) at the start is skipped;
/// undecodable bytes and malformed quoting throw <see cref="FileFormatException"/> naming the line.
/// Blank lines are allowed only at the end of the file.
/// </summary>
internal sealed class CsvRecordReader : IDisposable, IAsyncDisposable
{
    private const int ByteBlockSize = 64 * 1024;

    /// <summary>A record longer than this is refused rather than buffered (protects memory).</summary>
    internal const int MaxRecordChars = 1 << 20;

    private static readonly SearchValues<char> UnquotedStops = SearchValues.Create(",\n\"");

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Decoder _decoder;
    private readonly string _encodingName;
    private readonly RejectCode _code;
    private readonly IReadOnlyList<string>? _columnNames;
    private readonly byte[] _bytes = new byte[ByteBlockSize];
    private char[] _chars = new char[2 * ByteBlockSize];
    private int _pos;
    private int _len;
    private bool _eof;
    private bool _started;
    private long _line = 1;
    private long _byteNewlines;
    private long _pendingBlankLine;
    private int[] _starts = new int[16];
    private int[] _lengths = new int[16];
    private bool[] _escaped = new bool[16];

    public CsvRecordReader(Stream stream, Encoding encoding, string fileName, RejectCode code,
        IReadOnlyList<string>? columnNames, bool leaveOpen)
    {
        _stream = stream ?? throw new ArgumentNullException(nameof(stream));
        _decoder = encoding.GetDecoder();
        _encodingName = encoding.WebName.Equals("utf-8", StringComparison.OrdinalIgnoreCase) ? "UTF-8" : encoding.WebName.ToUpperInvariant();
        FileName = fileName;
        _code = code;
        _columnNames = columnNames;
        _leaveOpen = leaveOpen;
    }

    public string FileName { get; }

    /// <summary>Number of fields of the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>Physical line on which the current record starts (1-based).</summary>
    public long RecordLine { get; private set; }

    public ReadOnlySpan<char> Field(int i) => new(_chars, _starts[i], _lengths[i]);

    public string FieldString(int i) => _lengths[i] == 0 ? "" : new string(_chars, _starts[i], _lengths[i]);

    /// <summary>The field as a string, reusing <paramref name="previous"/> when equal (repeated values allocate once).</summary>
    public string FieldCached(int i, ref string? previous)
    {
        int len = _lengths[i];
        if (len == 0) return "";
        var span = new ReadOnlySpan<char>(_chars, _starts[i], len);
        if (previous is not null && span.SequenceEqual(previous)) return previous;
        return previous = span.ToString();
    }

    /// <summary>Column name for messages (1-based column).</summary>
    public string? ColumnName(int column) =>
        _columnNames is not null && column >= 1 && column <= _columnNames.Count ? _columnNames[column - 1] : null;

    public FileFormatException Error(long line, int? column, string problem) =>
        new(FileName, line, column, column is null ? null : ColumnName(column.Value), problem, _code);

    /// <summary>Error about field <paramref name="index"/> (0-based) of the current record.</summary>
    public FileFormatException FieldError(int index, string problem) => Error(RecordLine, index + 1, problem);

    /// <summary>Reads the next record; false at the end of the file.</summary>
    public bool TryReadRecord()
    {
        while (true)
        {
            switch (ParseBuffered())
            {
                case Step.Record:
                    CheckNoPendingBlank();
                    return true;
                case Step.Blank:
                    if (_pendingBlankLine == 0) _pendingBlankLine = RecordLine;
                    break;
                case Step.NeedMore:
                    Fill();
                    break;
                default:
                    return false;
            }
        }
    }

    /// <summary>Async twin of <see cref="TryReadRecord"/>.</summary>
    public async ValueTask<bool> TryReadRecordAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (ParseBuffered())
            {
                case Step.Record:
                    CheckNoPendingBlank();
                    return true;
                case Step.Blank:
                    if (_pendingBlankLine == 0) _pendingBlankLine = RecordLine;
                    break;
                case Step.NeedMore:
                    await FillAsync(cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    return false;
            }
        }
    }

    private void CheckNoPendingBlank()
    {
        if (_pendingBlankLine != 0)
            throw Error(_pendingBlankLine, null, "expected a record, got an empty line (empty lines are allowed only at the end of the file)");
    }

    private enum Step { Record, Blank, NeedMore, End }

    private Step ParseBuffered()
    {
        int avail = _len - _pos;
        if (avail == 0) return _eof ? Step.End : Step.NeedMore;
        var span = new ReadOnlySpan<char>(_chars, _pos, avail);
        int nl = span.IndexOf('\n');
        ReadOnlySpan<char> line;
        int consumed;
        if (nl >= 0) { line = span[..nl]; consumed = nl + 1; }
        else if (_eof) { line = span; consumed = avail; }
        else return Step.NeedMore;
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        if (line.IndexOf('"') >= 0) return ParseQuoted();

        RecordLine = _line;
        int start = _pos;
        _pos += consumed;
        _line++;
        if (line.IsEmpty) return Step.Blank;
        int count = 0;
        int off = 0;
        while (true)
        {
            int c = line[off..].IndexOf(',');
            if (c < 0)
            {
                AddField(ref count, start + off, line.Length - off, false);
                break;
            }
            AddField(ref count, start + off, c, false);
            off += c + 1;
        }
        FieldCount = count;
        return Step.Record;
    }

    /// <summary>Slow path: a record with quotes, possibly spanning several physical lines.</summary>
    private Step ParseQuoted()
    {
        RecordLine = _line;
        var chars = _chars;
        int end = _len;
        int i = _pos;
        int count = 0;
        while (true)
        {
            if (i < end && chars[i] == '"')
            {
                int contentStart = i + 1;
                int j = contentStart;
                bool escaped = false;
                while (true)
                {
                    int q = j < end ? Array.IndexOf(chars, '"', j, end - j) : -1;
                    if (q < 0)
                    {
                        if (!_eof) return Step.NeedMore;
                        throw Error(RecordLine, count + 1, "expected a closing quote, got the end of the file");
                    }
                    if (q + 1 >= end)
                    {
                        if (!_eof) return Step.NeedMore;
                        AddField(ref count, contentStart, q - contentStart, escaped);
                        i = q + 1;
                        return EndRecord(i, count);
                    }
                    if (chars[q + 1] == '"') { escaped = true; j = q + 2; continue; }
                    AddField(ref count, contentStart, q - contentStart, escaped);
                    i = q + 1;
                    break;
                }
                char c = chars[i];
                if (c == ',') { i++; continue; }
                if (c == '\n') return EndRecord(i + 1, count);
                if (c == '\r')
                {
                    if (i + 1 >= end)
                    {
                        if (!_eof) return Step.NeedMore;
                        return EndRecord(i + 1, count);
                    }
                    if (chars[i + 1] == '\n') return EndRecord(i + 2, count);
                }
                throw Error(LineAt(i), count, $"expected ',' or the end of the line after a closing quote, got {FileFormatException.Shown([c])}");
            }
            else
            {
                int k = new ReadOnlySpan<char>(chars, i, end - i).IndexOfAny(UnquotedStops);
                if (k < 0)
                {
                    if (!_eof) return Step.NeedMore;
                    int flen = end - i;
                    if (flen > 0 && chars[i + flen - 1] == '\r') flen--;
                    AddField(ref count, i, flen, false);
                    return EndRecord(end, count);
                }
                char c = chars[i + k];
                if (c == ',') { AddField(ref count, i, k, false); i += k + 1; continue; }
                if (c == '"')
                    throw Error(LineAt(i + k), count + 1, "expected no quote inside an unquoted field (quote the whole field and double inner quotes), got '\"'");
                int len = k;
                if (len > 0 && chars[i + len - 1] == '\r') len--;
                AddField(ref count, i, len, false);
                return EndRecord(i + k + 1, count);
            }
        }
    }


    private long LineAt(int index) => _line + new ReadOnlySpan<char>(_chars, _pos, index - _pos).Count('\n');

    private Step EndRecord(int next, int count)
    {
        _line += new ReadOnlySpan<char>(_chars, _pos, next - _pos).Count('\n');
        _pos = next;
        FieldCount = count;
        for (int f = 0; f < count; f++)
        {
            if (!_escaped[f]) continue;
            // "" -> " in place; the text only shrinks and this record's chars are never parsed again.
            int s = _starts[f], e = s + _lengths[f], w = s;
            for (int r = s; r < e; r++)
            {
                _chars[w++] = _chars[r];
                if (_chars[r] == '"') r++;
            }
            _lengths[f] = w - s;
        }
        return Step.Record;
    }

    private void AddField(ref int count, int start, int length, bool escaped)
    {
        if (count == _starts.Length)
        {
            if (count >= 4096) throw Error(RecordLine, null, "expected a few columns, got more than 4096");
            Array.Resize(ref _starts, count * 2);
            Array.Resize(ref _lengths, count * 2);
            Array.Resize(ref _escaped, count * 2);
        }
        _starts[count] = start;
        _lengths[count] = length;
        _escaped[count] = escaped;
        count++;
    }

    private int PrepareBuffer()
    {
        if (_pos > 0)
        {
            Array.Copy(_chars, _pos, _chars, 0, _len - _pos);
            _len -= _pos;
            _pos = 0;
        }
        if (_chars.Length - _len < ByteBlockSize + 16)
        {
            if (_len >= MaxRecordChars)
                throw Error(_line, null, $"expected a record of at most {MaxRecordChars:N0} characters, got a longer one (missing closing quote?)");
            Array.Resize(ref _chars, _chars.Length * 2);
        }
        return ByteBlockSize;
    }

    private void Fill()
    {
        int want = PrepareBuffer();
        int n = _stream.Read(_bytes, 0, want);
        Decode(n);
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        int want = PrepareBuffer();
        int n = await _stream.ReadAsync(_bytes.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
        Decode(n);
    }

    private void Decode(int n)
    {
        try
        {
            _decoder.Convert(_bytes, 0, n, _chars, _len, _chars.Length - _len, flush: n == 0,
                out _, out int charsUsed, out _);
            _len += charsUsed;
        }
        catch (DecoderFallbackException ex)
        {
            int index = Math.Clamp(ex.Index, 0, n);
            long line = 1 + _byteNewlines + _bytes.AsSpan(0, index).Count((byte)'\n');
            var bad = ex.BytesUnknown is { Length: > 0 } b ? string.Join(" ", b.Select(x => $"0x{x:X2}")) : "an incomplete sequence at the end of the file";
            throw Error(line, null, $"expected valid {_encodingName} text, got undecodable bytes {bad}");
        }
        if (n == 0) _eof = true;
        else _byteNewlines += _bytes.AsSpan(0, n).Count((byte)'\n');
        if (!_started && (_len > 0 || _eof))
        {
            _started = true;
            if (_len > 0 && _chars[0] == '\uFEFF') _pos = 1;
        }
    }

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }

    public ValueTask DisposeAsync() => _leaveOpen ? ValueTask.CompletedTask : _stream.DisposeAsync();
}
