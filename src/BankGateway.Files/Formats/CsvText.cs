using System.Buffers;

namespace BankGateway.Files.Formats;

/// <summary>RFC 4180 writing helpers shared by the CSV writers: quote when needed, CRLF record ends.</summary>
internal static class CsvText
{
    private static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(",\"\r\n");

    public const string RecordEnd = "\r\n";

    public static void WriteField(TextWriter writer, string value)
    {
        if (value.AsSpan().IndexOfAny(NeedsQuotes) < 0)
        {
            writer.Write(value);
            return;
        }
        writer.Write('"');
        writer.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        writer.Write('"');
    }

    public static void WriteRecord(TextWriter writer, params ReadOnlySpan<string> fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0) writer.Write(',');
            WriteField(writer, fields[i]);
        }
        writer.Write(RecordEnd);
    }

    /// <summary>Checks the header record exactly; the error names the first differing column.</summary>
    public static void ExpectHeader(CsvRecordReader csv, IReadOnlyList<string> header) => ExpectHeader(csv, header, header.Count);

    /// <summary>
    /// As above, but the trailing columns from <paramref name="required"/> on may be left out of the file
    /// altogether; returns how many columns the file has.
    /// </summary>
    public static int ExpectHeader(CsvRecordReader csv, IReadOnlyList<string> header, int required)
    {
        var expected = string.Join(",", header);
        if (!csv.TryReadRecord())
            throw csv.Error(1, null, $"expected the header row {expected}, got an empty file");
        for (int i = 0; i < header.Count; i++)
        {
            if (i >= csv.FieldCount && i >= required) break;
            if (i >= csv.FieldCount)
                throw csv.Error(csv.RecordLine, null, $"expected the header row {expected}, got only {csv.FieldCount} columns");
            if (!csv.Field(i).SequenceEqual(header[i]))
                throw csv.FieldError(i, $"expected the header row {expected}, got {FileFormatException.Shown(csv.Field(i))} in place of {header[i]}");
        }
        if (csv.FieldCount != header.Count && csv.FieldCount != required)
            throw csv.Error(csv.RecordLine, null, $"expected the header row {expected}, got {csv.FieldCount} columns");
        return csv.FieldCount;
    }

    /// <summary>Throws unless the current record has exactly <paramref name="columns"/> fields.</summary>
    public static void ExpectColumns(CsvRecordReader csv, int columns)
    {
        if (csv.FieldCount != columns)
            throw csv.Error(csv.RecordLine, null, $"expected {columns} columns, got {csv.FieldCount}");
    }

    public static StreamWriter CreateWriter(Stream stream, System.Text.Encoding encoding, bool leaveOpen) =>
        new(stream, encoding, bufferSize: 64 * 1024, leaveOpen: leaveOpen) { NewLine = RecordEnd };
}
