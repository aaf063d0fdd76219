using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Text;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Files.Formats;

/// <summary>
/// Streams an issuance list (统发清册, contract §4) one <see cref="IssuanceLine"/> at a time without holding
/// the file: decodes 64 KiB blocks in the declared encoding (UTF-8 with or without BOM, or GB18030),
/// checks the exact header, and yields each data row with its physical line number
/// (<see cref="IssuanceLine.FileLine"/>, header = 1). Fields are returned raw (not validated);
/// repeated values (主管部门, 补贴名称, 金额, 发放周期, ...) share one string instance.
/// A wrong header, undecodable bytes, malformed quoting or a wrong column count throws
/// <see cref="FileFormatException"/> with <see cref="RejectCode.R06"/> naming file and line.
/// Empty lines are allowed only at the end of the file.
/// </summary>
public sealed class IssuanceListReader : IDisposable, IAsyncDisposable
{
    private const int Columns = 12;
    private readonly CsvRecordReader _csv;
    private bool _headerRead;
    private string? _dept, _subsidy, _amount, _period, _origVoucher, _remark;

    /// <summary>Opens a reader over <paramref name="stream"/>.</summary>
    /// <param name="stream">The list's bytes; read forward only.</param>
    /// <param name="encoding">The voucher's <c>DetailEncoding</c>.</param>
    /// <param name="fileName">Name used in error messages (e.g. <c>QC_522726_ZF2024000123.csv</c>).</param>
    /// <param name="leaveOpen">Leave <paramref name="stream"/> open on dispose.</param>
    public IssuanceListReader(Stream stream, DetailEncoding encoding, string fileName, bool leaveOpen = false)
    {
        _csv = new CsvRecordReader(stream, TextEncodings.For(encoding), fileName, RejectCode.R06, IssuanceLine.Header, leaveOpen);
    }

    /// <summary>The file name used in messages.</summary>
    public string FileName => _csv.FileName;

    /// <summary>Data lines read so far.</summary>
    public long LinesRead { get; private set; }

    /// <summary>Reads the next data line; false at the end of the list.</summary>
    /// <exception cref="FileFormatException">The list is malformed (R06).</exception>
    public bool TryRead([NotNullWhen(true)] out IssuanceLine? line)
    {
        if (!_headerRead)
        {
            CsvText.ExpectHeader(_csv, IssuanceLine.Header);
            _headerRead = true;
        }
        if (!_csv.TryReadRecord())
        {
            line = null;
            return false;
        }
        line = Build();
        return true;
    }

    /// <summary>Async twin of <see cref="TryRead"/>: the next line, or null at the end.</summary>
    public async ValueTask<IssuanceLine?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (!_headerRead)
        {
            if (!await _csv.TryReadRecordAsync(cancellationToken).ConfigureAwait(false))
                throw _csv.Error(1, null, $"expected the header row {string.Join(",", IssuanceLine.Header)}, got an empty file");
            CheckHeaderRecord();
            _headerRead = true;
        }
        return await _csv.TryReadRecordAsync(cancellationToken).ConfigureAwait(false) ? Build() : null;
    }

    /// <summary>All data lines, streamed.</summary>
    public IEnumerable<IssuanceLine> ReadLines()
    {
        while (TryRead(out var line)) yield return line;
    }

    /// <summary>All data lines, streamed asynchronously.</summary>
    public async IAsyncEnumerable<IssuanceLine> ReadLinesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadAsync(cancellationToken).ConfigureAwait(false) is { } line) yield return line;
    }

    private void CheckHeaderRecord()
    {
        // Same rule as CsvText.ExpectHeader, for a record already read.
        var header = IssuanceLine.Header;
        var expected = string.Join(",", header);
        for (int i = 0; i < header.Length && i < _csv.FieldCount; i++)
            if (!_csv.Field(i).SequenceEqual(header[i]))
                throw _csv.FieldError(i, $"expected the header row {expected}, got {FileFormatException.Shown(_csv.Field(i))} in place of {header[i]}");
        if (_csv.FieldCount != header.Length)
            throw _csv.Error(_csv.RecordLine, null, $"expected the header row {expected}, got {_csv.FieldCount} columns");
    }

    private IssuanceLine Build()
    {
        var csv = _csv;
        if (csv.FieldCount != Columns)
            throw csv.Error(csv.RecordLine, null, $"expected {Columns} columns, got {csv.FieldCount}");
        LinesRead++;
        for (int i = 0; i < Columns; i++)
            if (CanonicalText.Forbidden(csv.Field(i)) is { } bad)
                throw csv.FieldError(i, $"{IssuanceLine.Header[i]}: expected text without control or invisible format characters, got {CanonicalText.Describe(bad)}");
        // Identifying cells are kept in their canonical form (contract §12); 金额 stays exactly as written
        // (F04 judges it) and 备注 is free text.
        return new IssuanceLine(
            csv.RecordLine,
            CanonicalText.Of(csv.FieldString(0)),
            CanonicalText.Of(csv.FieldString(1)),
            CanonicalText.IdNumber(csv.FieldString(2)),
            CanonicalText.Of(csv.FieldString(3)),
            CanonicalText.Of(csv.FieldCached(4, ref _dept)),
            CanonicalText.Of(csv.FieldCached(5, ref _subsidy)),
            csv.FieldCached(6, ref _amount),
            CanonicalText.Of(csv.FieldCached(7, ref _period)),
            CanonicalText.Of(csv.FieldString(8)),
            CanonicalText.Of(csv.FieldCached(9, ref _origVoucher)),
            CanonicalText.Of(csv.FieldString(10)),
            csv.FieldCached(11, ref _remark));
    }

    /// <inheritdoc />
    public void Dispose() => _csv.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _csv.DisposeAsync();
}
