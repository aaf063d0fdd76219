using System.Text;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

public class IssuanceListTests
{
    private static FileFormatException ReadError(byte[] bytes, DetailEncoding encoding = DetailEncoding.Utf8) =>
        Assert.Throws<FileFormatException>(() => FormatSamples.ReadList(bytes, encoding))!;

    private static byte[] Text(params string[] lines) => FormatSamples.Utf8(string.Join("\r\n", lines) + "\r\n");

    [TestCase(DetailEncoding.Utf8, false)]
    [TestCase(DetailEncoding.Utf8, true)]
    [TestCase(DetailEncoding.Gb18030, false)]
    public void List_round_trips_with_quoted_commas_and_quotes(DetailEncoding encoding, bool bom)
    {
        var lines = FormatSamples.Lines();
        var read = FormatSamples.ReadList(FormatSamples.ListBytes(lines, encoding, bom), encoding);
        Assert.That(read, Is.EqualTo(lines));
    }

    [Test]
    public void Utf8_BOM_is_written_and_skipped()
    {
        var bytes = FormatSamples.ListBytes(FormatSamples.Lines(), DetailEncoding.Utf8, bom: true);
        Assert.That(bytes.Take(3), Is.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }));
        Assert.That(FormatSamples.ReadList(bytes), Has.Count.EqualTo(4));
    }

    [Test]
    public void GB18030_list_is_written_in_GB18030()
    {
        var bytes = FormatSamples.ListBytes([FormatSamples.Line(2, "1")], DetailEncoding.Gb18030);
        Assert.That(FormatSamples.Gb18030.GetString(bytes), Does.StartWith(FormatSamples.ListHeader + "\r\n1,张三,"));
        Assert.Throws<DecoderFallbackException>(() => TextEncodingsProbe.StrictUtf8.GetString(bytes));
    }

    [Test]
    public void Writer_uses_CRLF_and_quotes_only_when_needed()
    {
        var text = Encoding.UTF8.GetString(FormatSamples.ListBytes([FormatSamples.Line(2, "1", remark: "a,b")]));
        Assert.That(text, Is.EqualTo(FormatSamples.ListHeader + "\r\n" + FormatSamples.ListRow + "\"a,b\"\r\n"));
    }

    [Test]
    public void LF_line_ends_are_read_like_CRLF()
    {
        var bytes = FormatSamples.Utf8(FormatSamples.ListHeader + "\n" + FormatSamples.ListRow + "\n" + FormatSamples.ListRow.Replace("1,张三", "2,李四") + "\n");
        var lines = FormatSamples.ReadList(bytes);
        Assert.That(lines.Select(l => (l.FileLine, l.SeqNo, l.Remark)), Is.EqualTo(new[] { (2L, "1", ""), (3L, "2", "") }));
    }

    [Test]
    public void Last_line_without_line_end_is_read()
    {
        var lines = FormatSamples.ReadList(FormatSamples.Utf8(FormatSamples.ListHeader + "\r\n" + FormatSamples.ListRow));
        Assert.That(lines.Single().Name, Is.EqualTo("张三"));
    }

    [Test]
    public void Trailing_empty_line_at_end_of_file_is_allowed()
    {
        var lines = FormatSamples.ReadList(Text(FormatSamples.ListHeader, FormatSamples.ListRow, ""));
        Assert.That(lines, Has.Count.EqualTo(1));
    }

    [Test]
    public void Empty_line_in_the_middle_names_the_line()
    {
        var ex = ReadError(Text(FormatSamples.ListHeader, FormatSamples.ListRow, "", FormatSamples.ListRow));
        Assert.That(ex.Line, Is.EqualTo(3));
        Assert.That(ex.Code, Is.EqualTo(RejectCode.R06));
    }

    [Test]
    public void FileLine_counts_physical_lines()
    {
        var read = FormatSamples.ReadList(FormatSamples.ListBytes(FormatSamples.Lines()));
        Assert.That(read.Select(l => l.FileLine), Is.EqualTo(new long[] { 2, 3, 4, 5 }));
    }

    // Contract §12 amends §4: any C0 control but tab in a cell is R06, a quoted line break included.
    [TestCase("两行\r\n备注", "U+000D")]
    [TestCase("空\0字节", "U+0000")]
    [TestCase("零宽\u200B空格", "U+200B")]
    public void Control_or_invisible_character_in_a_cell_is_R06_naming_line_and_column(string remark, string shown)
    {
        var lines = FormatSamples.Lines();
        lines[2] = lines[2] with { Remark = remark };
        var ex = ReadError(FormatSamples.ListBytes(lines));
        Assert.That((ex.Code, ex.Line, ex.Column), Is.EqualTo((BankGateway.Domain.Codes.RejectCode.R06, 4L, (int?)12)));
        Assert.That(ex.Message, Does.Contain(shown));
    }

    [Test]
    public void Identifying_cells_are_read_in_canonical_form()
    {
        var lines = FormatSamples.Lines();
        lines[0] = lines[0] with { Name = "\u3000张三\u00A0", DeptName = lines[0].DeptName + " ", IdNumber = lines[0].IdNumber.ToLowerInvariant() };
        var read = FormatSamples.ReadList(FormatSamples.ListBytes(lines));
        Assert.That((read[0].Name, read[0].DeptName, read[0].IdNumber), Is.EqualTo(("张三", FormatSamples.Lines()[0].DeptName, FormatSamples.Lines()[0].IdNumber.ToUpperInvariant())));
    }

    [Test]
    public void Quoted_fields_with_escaped_quotes_are_unescaped()
    {
        var row = "1,\"张\"\"三\",52272619800101001X,6217001234567890123,\"独山县民政局\",城乡居民最低生活保障金,350.00,2024-03,,,,\"\"";
        var line = FormatSamples.ReadList(Text(FormatSamples.ListHeader, row)).Single();
        Assert.That(line.Name, Is.EqualTo("张\"三"));
        Assert.That(line.DeptName, Is.EqualTo("独山县民政局"));
        Assert.That(line.Remark, Is.EqualTo(""));
    }

    [Test]
    public void Quoted_header_cells_are_accepted()
    {
        var header = string.Join(",", IssuanceLine.Header.Select(h => "\"" + h + "\""));
        Assert.That(FormatSamples.ReadList(Text(header, FormatSamples.ListRow)), Has.Count.EqualTo(1));
    }

    [Test]
    public void List_with_wrong_header_names_the_line()
    {
        var ex = ReadError(Text(FormatSamples.ListHeader.Replace("金额", "金额(元)"), FormatSamples.ListRow));
        Assert.That(ex.Message, Does.StartWith("QC_522726_ZF2024000123.csv line 1, column 7 (金额): expected the header row"));
        Assert.That(ex.Code, Is.EqualTo(RejectCode.R06));
    }

    [Test]
    public void List_without_header_is_refused()
    {
        var ex = ReadError(Text(FormatSamples.ListRow));
        Assert.That(ex.Line, Is.EqualTo(1));
        Assert.That(ex.Problem, Does.StartWith("expected the header row"));
    }

    [Test]
    public void Header_with_an_extra_column_is_refused()
    {
        var ex = ReadError(Text(FormatSamples.ListHeader + ",多余", FormatSamples.ListRow));
        Assert.That(ex.Line, Is.EqualTo(1));
    }

    [Test]
    public void Empty_file_is_refused()
    {
        Assert.That(ReadError([]).Problem, Does.Contain("empty file"));
    }

    [TestCase(",多一列")]
    [TestCase("")]
    public void Wrong_column_count_names_file_and_line(string change)
    {
        var row = change.Length == 0 ? FormatSamples.ListRow[..FormatSamples.ListRow.LastIndexOf(',')] : FormatSamples.ListRow + change;
        var ex = ReadError(Text(FormatSamples.ListHeader, FormatSamples.ListRow, row));
        Assert.That(ex.Message, Does.StartWith("QC_522726_ZF2024000123.csv line 3: expected 12 columns, got 1"));
        Assert.That(ex.Line, Is.EqualTo(3));
        Assert.That(ex.Code, Is.EqualTo(RejectCode.R06));
    }

    [Test]
    public void Unterminated_quote_is_refused()
    {
        var ex = ReadError(Text(FormatSamples.ListHeader, FormatSamples.ListRow + "\"没有结束"));
        Assert.That(ex.Problem, Does.Contain("closing quote"));
        Assert.That(ex.Line, Is.EqualTo(2));
    }

    [Test]
    public void Quote_inside_unquoted_field_is_refused()
    {
        var ex = ReadError(Text(FormatSamples.ListHeader, FormatSamples.ListRow.Replace("张三", "张\"三")));
        Assert.That(ex.Line, Is.EqualTo(2));
        Assert.That(ex.Column, Is.EqualTo(2));
        Assert.That(ex.Field, Is.EqualTo("姓名"));
    }

    [Test]
    public void Text_after_closing_quote_is_refused()
    {
        var ex = ReadError(Text(FormatSamples.ListHeader, FormatSamples.ListRow.Replace("张三", "\"张\"三")));
        Assert.That(ex.Column, Is.EqualTo(2));
    }

    [Test]
    public void Undecodable_GB18030_bytes_name_the_line()
    {
        var gb = FormatSamples.Gb18030;
        var good = gb.GetBytes(FormatSamples.ListHeader + "\r\n" + FormatSamples.ListRow + "\r\n");
        var bad = gb.GetBytes("2,").Concat(new byte[] { 0x81, 0x20 }).Concat(gb.GetBytes(FormatSamples.ListRow[2..] + "\r\n")).ToArray();
        var ex = ReadError(good.Concat(bad).ToArray(), DetailEncoding.Gb18030);
        Assert.That(ex.Line, Is.EqualTo(3));
        Assert.That(ex.Code, Is.EqualTo(RejectCode.R06));
        Assert.That(ex.Message, Does.Contain("GB18030").And.Contain("undecodable"));
    }

    [Test]
    public void Undecodable_UTF8_bytes_name_the_line()
    {
        var good = FormatSamples.Utf8(FormatSamples.ListHeader + "\r\n" + FormatSamples.ListRow + "\r\n" + FormatSamples.ListRow + "\r\n");
        var bytes = good.Concat(new byte[] { (byte)'3', (byte)',', 0xFF, 0xFE }).Concat(FormatSamples.Utf8(FormatSamples.ListRow[2..] + "\r\n")).ToArray();
        var ex = ReadError(bytes);
        Assert.That(ex.Line, Is.EqualTo(4));
        Assert.That(ex.Message, Does.Contain("UTF-8"));
    }

    [Test]
    public void GB18030_list_read_as_UTF8_is_undecodable()
    {
        var bytes = FormatSamples.ListBytes(FormatSamples.Lines(), DetailEncoding.Gb18030);
        var ex = ReadError(bytes, DetailEncoding.Utf8);
        Assert.That(ex.Line, Is.EqualTo(1));
    }

    [Test]
    public void Undecodable_bytes_far_into_a_large_file_name_the_right_line()
    {
        var lines = Enumerable.Range(1, 30_000).Select(i => FormatSamples.Line(i + 1, i.ToString())).ToList();
        var bytes = FormatSamples.ListBytes(lines).Concat(new byte[] { 0xC3, 0x28, (byte)'\r', (byte)'\n' }).ToArray();
        var ex = ReadError(bytes);
        Assert.That(ex.Line, Is.EqualTo(30_002));
    }

    [Test]
    public void Large_list_streams_every_line_with_its_number()
    {
        var lines = Enumerable.Range(1, 50_000).Select(i => FormatSamples.Line(i + 1, i.ToString(), remark: i % 1000 == 0 ? "逗号,在此" : "")).ToList();
        var read = FormatSamples.ReadList(FormatSamples.ListBytes(lines));
        Assert.That(read, Is.EqualTo(lines));
    }

    [Test]
    public void List_is_read_through_a_stream_that_returns_one_byte_at_a_time()
    {
        var lines = FormatSamples.Lines();
        using var reader = new IssuanceListReader(new TrickleStream(FormatSamples.ListBytes(lines, DetailEncoding.Gb18030)), DetailEncoding.Gb18030, FormatSamples.ListFile);
        Assert.That(reader.ReadLines().ToList(), Is.EqualTo(lines));
        Assert.That(reader.LinesRead, Is.EqualTo(4));
    }

    [Test]
    public async Task List_is_read_asynchronously()
    {
        var lines = FormatSamples.Lines();
        await using var reader = new IssuanceListReader(new MemoryStream(FormatSamples.ListBytes(lines)), DetailEncoding.Utf8, FormatSamples.ListFile);
        var read = new List<IssuanceLine>();
        await foreach (var line in reader.ReadLinesAsync()) read.Add(line);
        Assert.That(read, Is.EqualTo(lines));
    }

    [Test]
    public void Repeated_values_share_one_string()
    {
        var read = FormatSamples.ReadList(FormatSamples.ListBytes(FormatSamples.Lines()));
        Assert.That(ReferenceEquals(read[0].DeptName, read[3].DeptName), Is.True);
        Assert.That(ReferenceEquals(read[0].Amount, read[3].Amount), Is.True);
    }

    [Test]
    public void Overlong_record_is_refused_instead_of_buffered()
    {
        var bytes = FormatSamples.Utf8(FormatSamples.ListHeader + "\r\n1,\"" + new string('x', 1_200_000));
        var ex = ReadError(bytes);
        Assert.That(ex.Line, Is.EqualTo(2));
    }

    /// <summary>A stream that hands out one byte per read, to exercise every buffer boundary.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1));
    }

    private static class TextEncodingsProbe
    {
        public static readonly Encoding StrictUtf8 = new UTF8Encoding(false, true);
    }
}
