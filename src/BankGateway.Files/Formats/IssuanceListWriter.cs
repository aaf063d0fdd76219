using System.Text;
using BankGateway.Domain.Vouchers;

namespace BankGateway.Files.Formats;

/// <summary>
/// Writes an issuance list (统发清册, contract §4): the header, then one RFC 4180 record per line
/// (fields quoted only when they hold a comma, quote, CR or LF), CRLF line ends, in UTF-8 (BOM optional)
/// or GB18030. Mirror of <see cref="IssuanceListReader"/>; used by the sample generator and tests.
/// </summary>
public sealed class IssuanceListWriter : IDisposable, IAsyncDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>Starts the list and writes its header.</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="encoding">UTF-8 or GB18030.</param>
    /// <param name="byteOrderMark">UTF-8 only: start with EF BB BF.</param>
    /// <param name="leaveOpen">Leave <paramref name="stream"/> open on dispose.</param>
    public IssuanceListWriter(Stream stream, DetailEncoding encoding, bool byteOrderMark = false, bool leaveOpen = false)
    {
        Encoding enc = encoding == DetailEncoding.Utf8 && byteOrderMark
            ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true)
            : TextEncodings.For(encoding);
        if (byteOrderMark && encoding == DetailEncoding.Utf8) stream.Write(enc.Preamble);
        _writer = CsvText.CreateWriter(stream, encoding == DetailEncoding.Utf8 ? TextEncodings.Utf8 : enc, leaveOpen);
        CsvText.WriteRecord(_writer, IssuanceLine.Header);
    }

    /// <summary>Appends one line (its <see cref="IssuanceLine.FileLine"/> is ignored).</summary>
    public void Write(IssuanceLine line)
    {
        CsvText.WriteRecord(_writer, line.SeqNo, line.Name, line.IdNumber, line.AccountNo, line.DeptName, line.SubsidyName,
            line.Amount, line.Period, line.Phone, line.OrigVoucherNo, line.OrigSeqNo, line.Remark);
    }

    /// <summary>Flushes buffered text to the stream.</summary>
    public void Flush() => _writer.Flush();

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
