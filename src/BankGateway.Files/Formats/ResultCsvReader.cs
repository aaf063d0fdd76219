using System.Diagnostics.CodeAnalysis;

namespace BankGateway.Files.Formats;

/// <summary>
/// Reads an RS_ detail receipt written by <see cref="ResultCsvWriter"/> (UTF-8, BOM tolerated), checking the exact
/// header and 10 columns per row, and undoing <see cref="FormulaEscaping"/> so that write → read is exact.
/// Errors are <see cref="FileFormatException"/> naming file, line and column.
/// </summary>
public sealed class ResultCsvReader : IDisposable, IAsyncDisposable
{
    private readonly CsvRecordReader _csv;
    private bool _headerRead;

    /// <summary>Opens a reader over <paramref name="stream"/>; <paramref name="fileName"/> is used in messages.</summary>
    public ResultCsvReader(Stream stream, string fileName, bool leaveOpen = false)
    {
        _csv = new CsvRecordReader(stream, TextEncodings.Utf8, fileName, Domain.Codes.RejectCode.None, ResultRow.Header, leaveOpen);
    }

    /// <summary>Physical line of the last row read.</summary>
    public long CurrentLine => _csv.RecordLine;

    /// <summary>Reads the next row; false at the end.</summary>
    public bool TryRead([NotNullWhen(true)] out ResultRow? row)
    {
        if (!_headerRead)
        {
            CsvText.ExpectHeader(_csv, ResultRow.Header);
            _headerRead = true;
        }
        if (!_csv.TryReadRecord()) { row = null; return false; }
        CsvText.ExpectColumns(_csv, ResultRow.Header.Length);
        var status = _csv.Field(5);
        bool success = status.SequenceEqual(ResultRow.Succeeded);
        if (!success && !status.SequenceEqual(ResultRow.Failed))
            throw _csv.FieldError(5, $"expected {ResultRow.Succeeded} or {ResultRow.Failed}, got {FileFormatException.Shown(status)}");
        row = new ResultRow(Cell(0), Cell(1), Cell(2), Cell(3), Cell(4), success, Cell(6), Cell(7), Cell(8), Cell(9));
        return true;
    }

    /// <summary>All rows, streamed.</summary>
    public IEnumerable<ResultRow> ReadRows()
    {
        while (TryRead(out var row)) yield return row;
    }

    private string Cell(int i) => FormulaEscaping.Unescape(_csv.FieldString(i));

    /// <inheritdoc />
    public void Dispose() => _csv.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _csv.DisposeAsync();
}
