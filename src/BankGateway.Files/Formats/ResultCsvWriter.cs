namespace BankGateway.Files.Formats;

/// <summary>
/// Streams the RS_ detail receipt (contract §7): UTF-8 <b>without</b> BOM (the finance bureau's software compares
/// the header byte for byte; a BOM would hide in its first cell), CRLF line ends, the header
/// <c>序号,姓名,证件号码,银行账号,金额,状态,失败代码,失败原因,银行流水号,入账时间</c>, 状态 <c>成功</c>/<c>失败</c>.
/// Every cell goes through <see cref="FormulaEscaping"/> and then RFC 4180 quoting.
/// </summary>
public sealed class ResultCsvWriter : IDisposable, IAsyncDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>Starts the file and writes the header.</summary>
    public ResultCsvWriter(Stream stream, bool leaveOpen = false)
    {
        _writer = CsvText.CreateWriter(stream, TextEncodings.Utf8, leaveOpen);
        CsvText.WriteRecord(_writer, ResultRow.Header);
    }

    /// <summary>Rows written so far.</summary>
    public long RowsWritten { get; private set; }

    /// <summary>Appends one row.</summary>
    public void Write(ResultRow row)
    {
        CsvText.WriteRecord(_writer,
            FormulaEscaping.Escape(row.SeqNo),
            FormulaEscaping.Escape(row.Name),
            FormulaEscaping.Escape(row.IdNumber),
            FormulaEscaping.Escape(row.AccountNo),
            FormulaEscaping.Escape(row.Amount),
            row.Success ? ResultRow.Succeeded : ResultRow.Failed,
            FormulaEscaping.Escape(row.FailureCode),
            FormulaEscaping.Escape(row.FailureReason),
            FormulaEscaping.Escape(row.BankRef),
            FormulaEscaping.Escape(row.PostedAt));
        RowsWritten++;
    }

    /// <summary>Flushes buffered text to the stream.</summary>
    public void Flush() => _writer.Flush();

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
