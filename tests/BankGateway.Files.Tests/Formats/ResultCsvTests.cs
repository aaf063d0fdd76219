using System.Text;
using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

public class ResultCsvTests
{
    private static readonly ResultRow Paid = new("1", "张三", "52272619800101001X", "6217001234567890123", "350.00", true, "", "", "BG20240315000001", "2024-03-15T10:30:00");
    private static readonly ResultRow Failed = new("2", "李四", "522726198001010028", "6217001234567890124", "350.00", false, "F09", "户名不符", "", "");

    private static byte[] Write(params ResultRow[] rows)
    {
        using var ms = new MemoryStream();
        using (var w = new ResultCsvWriter(ms, leaveOpen: true))
            foreach (var r in rows) w.Write(r);
        return ms.ToArray();
    }

    private static List<ResultRow> Read(byte[] bytes)
    {
        using var r = new ResultCsvReader(new MemoryStream(bytes), "RS_522726_ZF2024000123.csv");
        return r.ReadRows().ToList();
    }

    [Test]
    public void Result_file_round_trips()
    {
        var rows = new[] { Paid, Failed, Paid with { SeqNo = "3", Name = "王,五\r\n\"x\"" } };
        Assert.That(Read(Write(rows)), Is.EqualTo(rows));
    }

    [Test]
    public void Result_file_is_UTF8_without_BOM_with_CRLF_and_the_contract_header()
    {
        var bytes = Write(Paid, Failed);
        Assert.That(bytes[0], Is.EqualTo((byte)'\xE5'), "no BOM: the first byte is 序's UTF-8 lead byte");
        Assert.That(Encoding.UTF8.GetString(bytes), Is.EqualTo(
            "序号,姓名,证件号码,银行账号,金额,状态,失败代码,失败原因,银行流水号,入账时间\r\n" +
            "1,张三,52272619800101001X,6217001234567890123,350.00,成功,,,BG20240315000001,2024-03-15T10:30:00\r\n" +
            "2,李四,522726198001010028,6217001234567890124,350.00,失败,F09,户名不符,,\r\n"));
    }

    [TestCase("=HYPERLINK(\"http://x\")")]
    [TestCase("+1+1")]
    [TestCase("-2+3")]
    [TestCase("@SUM(A1)")]
    [TestCase("\tTAB")]
    [TestCase("\rCR")]
    public void Result_cell_starting_with_a_formula_character_is_escaped(string name)
    {
        var text = Encoding.UTF8.GetString(Write(Paid with { Name = name }));
        var cell = text.Split("\r\n")[1].Split(',')[1].TrimStart('"');
        Assert.That(cell, Does.StartWith("'"));
        Assert.That(Read(Write(Paid with { Name = name })).Single().Name, Is.EqualTo(name));
    }

    [Test]
    public void Result_cell_starting_with_equals_is_escaped()
    {
        var text = Encoding.UTF8.GetString(Write(Paid with { Name = "=1+2" }));
        Assert.That(text, Does.Contain(",'=1+2,"));
    }

    [TestCase("'=already")]
    [TestCase("''-x")]
    [TestCase("'plain")]
    [TestCase("'")]
    [TestCase("")]
    public void Apostrophes_round_trip_exactly(string name)
    {
        Assert.That(Read(Write(Paid with { Name = name })).Single().Name, Is.EqualTo(name));
    }

    [Test]
    public void No_written_cell_starts_with_a_formula_character()
    {
        var evil = new[] { "=a", "+b", "-c", "@d" };
        var rows = evil.Select((e, i) => new ResultRow(e, e, e, e, e, false, e, e, e, e)).ToArray();
        var text = Encoding.UTF8.GetString(Write(rows));
        foreach (var line in text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1))
            foreach (var cell in line.Split(','))
                Assert.That(cell, Does.Not.Match("^[=+\\-@]"));
    }

    [Test]
    public void Unknown_status_is_refused_naming_the_column()
    {
        var bytes = Encoding.UTF8.GetBytes(string.Join(",", ResultRow.Header) + "\r\n1,张三,x,y,1.00,未知,,,,\r\n");
        var ex = Assert.Throws<FileFormatException>(() => Read(bytes))!;
        Assert.That(ex.Message, Does.StartWith("RS_522726_ZF2024000123.csv line 2, column 6 (状态):"));
    }
}
