namespace BankGateway.Files.Formats;

/// <summary>
/// A CSV file of any columns, written like the RS_ receipt (contract §7): UTF-8 without BOM, CRLF record ends,
/// a header row, every cell through <see cref="FormulaEscaping"/> (a cell starting with <c>=</c>, <c>+</c>,
/// <c>-</c>, <c>@</c> gets a leading apostrophe) and then RFC 4180 quoting. Used by the supervision export
/// and the anomaly list.
/// </summary>
public sealed class EscapedCsvWriter : IDisposable, IAsyncDisposable
{
    private readonly StreamWriter _writer;
    private readonly int _columns;

    /// <summary>Starts the file and writes the header.</summary>
    public EscapedCsvWriter(Stream stream, IReadOnlyList<string> header, bool leaveOpen = false)
    {
        _writer = CsvText.CreateWriter(stream, TextEncodings.Utf8, leaveOpen);
        _columns = header.Count;
        CsvText.WriteRecord(_writer, header.ToArray());
    }

    /// <summary>Data rows written so far (the header not counted).</summary>
    public long RowsWritten { get; private set; }

    /// <summary>Appends one row; null cells are written empty.</summary>
    /// <exception cref="ArgumentException">The row has another number of cells than the header.</exception>
    public void Write(IReadOnlyList<string?> cells)
    {
        if (cells.Count != _columns) throw new ArgumentException($"expected {_columns} cells, got {cells.Count}", nameof(cells));
        for (int i = 0; i < cells.Count; i++)
        {
            if (i > 0) _writer.Write(',');
            CsvText.WriteField(_writer, FormulaEscaping.Escape(cells[i] ?? ""));
        }
        _writer.Write(CsvText.RecordEnd);
        RowsWritten++;
    }

    /// <summary>Flushes buffered text to the stream.</summary>
    public void Flush() => _writer.Flush();

    /// <inheritdoc/>
    public void Dispose() => _writer.Dispose();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
