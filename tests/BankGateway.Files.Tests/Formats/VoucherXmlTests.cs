using System.Text;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

public class VoucherXmlTests
{
    [Test]
    public void Voucher_round_trips_through_write_and_read()
    {
        var voucher = FormatSamples.Voucher();
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText(voucher));
        Assert.That(result.IsValid, Is.True, result.Error);
        Assert.That(result.Voucher, Is.EqualTo(voucher));
        Assert.That(result.Code, Is.EqualTo(RejectCode.None));
    }

    [Test]
    public void Reissue_voucher_in_GB18030_round_trips()
    {
        var voucher = FormatSamples.Voucher(DetailEncoding.Gb18030, reissueOf: "ZF2024000001") with { FundChannel = FundChannel.GRAIN_FUND, Period = "2024-Q1" };
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText(voucher));
        Assert.That(result.Voucher, Is.EqualTo(voucher), result.Error);
    }

    [Test]
    public void Written_voucher_looks_like_the_contract_example()
    {
        var xml = FormatSamples.VoucherXmlText();
        Assert.That(xml, Does.StartWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Voucher>\n  <VtCode>5201</VtCode>\n"));
        Assert.That(xml, Does.Contain("<DetailEncoding>UTF-8</DetailEncoding>"));
        Assert.That(xml, Does.Contain("<ReissueOf></ReissueOf>"));
    }

    [Test]
    public void Contract_example_with_empty_ReissueOf_reads_as_no_reissue()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("<ReissueOf></ReissueOf>", "<ReissueOf/>"));
        Assert.That(result.Voucher!.ReissueOf, Is.Null);
        result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("  <ReissueOf></ReissueOf>\n", ""));
        Assert.That(result.Voucher!.ReissueOf, Is.Null, "ReissueOf may be absent");
    }

    [Test]
    public void Voucher_with_BOM_is_read()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(FormatSamples.VoucherXmlText())).ToArray();
        Assert.That(VoucherXml.Read(new MemoryStream(bytes), FormatSamples.VoucherFile).IsValid, Is.True);
    }

    [Test]
    public void Uppercase_sm3_is_accepted_and_normalised_to_lowercase()
    {
        var xml = FormatSamples.VoucherXmlText().Replace(new string('a', 64), new string('A', 64));
        Assert.That(FormatSamples.ReadVoucher(xml).Voucher!.DetailFileSm3, Is.EqualTo(new string('a', 64)));
    }

    [Test]
    public void Voucher_with_doctype_is_refused()
    {
        var xml = FormatSamples.VoucherXmlText().Replace("<Voucher>", "<!DOCTYPE Voucher [<!ENTITY x \"boom\">]>\n<Voucher>");
        var result = FormatSamples.ReadVoucher(xml);
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Code, Is.EqualTo(RejectCode.R05));
        Assert.That(result.Error, Does.Contain("DOCTYPE").And.StartWith(FormatSamples.VoucherFile));
    }

    [Test]
    public void Voucher_with_external_entity_is_refused()
    {
        var xml = FormatSamples.VoucherXmlText()
            .Replace("<Voucher>", "<!DOCTYPE Voucher [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<Voucher>")
            .Replace("<DeptName>独山县民政局</DeptName>", "<DeptName>&xxe;</DeptName>");
        var result = FormatSamples.ReadVoucher(xml);
        Assert.That(result.Code, Is.EqualTo(RejectCode.R05));
        Assert.That(result.Error, Does.Not.Contain("root:"));
    }

    [Test]
    public void Voucher_with_undeclared_entity_reference_is_refused()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("独山县民政局<", "&bomb;<"));
        Assert.That(result.Code, Is.EqualTo(RejectCode.R05));
    }

    [Test]
    public void Oversize_voucher_is_refused()
    {
        var padding = "<!--" + new string('x', 1_100_000) + "-->";
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("<Voucher>", "<Voucher>" + padding));
        Assert.That(result.Code, Is.EqualTo(RejectCode.R05));
        Assert.That(result.Error, Does.Contain("at most"));
    }

    [Test]
    public void Malformed_voucher_names_the_line()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("</PayAmt>", "</PayAmount>"));
        Assert.That(result.Code, Is.EqualTo(RejectCode.R05));
        Assert.That(result.Error, Does.Match(@"^PV_522726_ZF2024000123\.xml line \d+"));
    }

    [Test]
    public void Voucher_that_is_not_UTF8_is_refused()
    {
        var gb = FormatSamples.Gb18030;
        var bytes = gb.GetBytes(FormatSamples.VoucherXmlText().Replace("UTF-8\"?>", "GB18030\"?>"));
        var result = VoucherXml.Read(new MemoryStream(bytes), FormatSamples.VoucherFile);
        Assert.That(result.Code, Is.EqualTo(RejectCode.R05));
        Assert.That(result.Error, Does.Contain("UTF-8"));
    }

    [Test]
    public void Wrong_root_element_is_refused()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("Voucher>", "Payment>"));
        Assert.That(result.Error, Does.Contain("<Voucher>"));
    }

    [Test]
    public void Unknown_element_is_refused_naming_it()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("<ReissueOf>", "<ReissueOff>x</ReissueOff><ReissueOf>"));
        Assert.That(result.Field, Is.EqualTo("ReissueOff"));
    }

    [Test]
    public void Repeated_element_is_refused()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("<PayAmt>", "<PayAmt>1.00</PayAmt><PayAmt>"));
        Assert.That(result.Field, Is.EqualTo("PayAmt"));
        Assert.That(result.Error, Does.Contain("twice"));
    }

    public static IEnumerable<string> RequiredFields() => VoucherXml.Fields.Where(f => f != "ReissueOf");

    [TestCaseSource(nameof(RequiredFields))]
    public void Missing_field_gives_R05_naming_it(string field)
    {
        var xml = FormatSamples.VoucherXmlText();
        int start = xml.IndexOf($"  <{field}>", StringComparison.Ordinal);
        int end = xml.IndexOf($"</{field}>\n", StringComparison.Ordinal) + field.Length + 4;
        var result = FormatSamples.ReadVoucher(xml.Remove(start, end - start));
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Code, Is.EqualTo(RejectCode.R05));
        Assert.That(result.Field, Is.EqualTo(field));
        Assert.That(result.Error, Does.Contain($"({field})").And.Contain("expected"));
    }

    [TestCaseSource(nameof(RequiredFields))]
    public void Empty_field_gives_R05_naming_it(string field)
    {
        var xml = FormatSamples.VoucherXmlText();
        int start = xml.IndexOf($"<{field}>", StringComparison.Ordinal) + field.Length + 2;
        int end = xml.IndexOf($"</{field}>", StringComparison.Ordinal);
        var result = FormatSamples.ReadVoucher(xml.Remove(start, end - start));
        Assert.That(result.Field, Is.EqualTo(field));
    }

    [TestCase("VtCode", "520")]
    [TestCase("VtCode", "52O1")]
    [TestCase("AdmDivCode", "52272")]
    [TestCase("AdmDivCode", "5227260")]
    [TestCase("StYear", "24")]
    [TestCase("VoucherNo", "ZF_2024")]
    [TestCase("VoucherNo", "ZF2024000123456789012345678901234")]
    [TestCase("VouDate", "2024-02-30")]
    [TestCase("VouDate", "2024/03/15")]
    [TestCase("DeptName", "独山县\t民政局")] // a tab is legal XML but no name holds one
    [TestCase("Period", "2024-13")]
    [TestCase("Period", "202403")]
    [TestCase("Period", "2024-3")]
    [TestCase("PayAcctNo", "2401-0099")]
    [TestCase("ReturnAcctNo", "ABC")]
    [TestCase("FundChannel", "treasury")]
    [TestCase("FundChannel", "BANK")]
    [TestCase("PayAmt", "875000")]
    [TestCase("PayAmt", "875000.0")]
    [TestCase("PayAmt", "-1.00")]
    [TestCase("PayAmt", "0.00")]
    [TestCase("PayAmt", "1,000.00")]
    [TestCase("DetailCount", "0")]
    [TestCase("DetailCount", "-3")]
    [TestCase("DetailCount", "2.5")]
    [TestCase("DetailFile", "../etc/passwd")]
    [TestCase("DetailFile", "sub/QC.csv")]
    [TestCase("DetailFile", "sub\\QC.csv")]
    [TestCase("DetailFile", ".hidden.csv")]
    [TestCase("DetailFileSm3", "abc")]
    [TestCase("DetailFileSm3", "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg")]
    [TestCase("DetailEncoding", "GBK")]
    [TestCase("ReissueOf", "ZF 1")]
    [TestCase("ReissueOf", "ZF2024000123")]
    public void Invalid_field_gives_R05_naming_it(string field, string value)
    {
        var xml = FormatSamples.VoucherXmlText();
        int start = xml.IndexOf($"<{field}>", StringComparison.Ordinal) + field.Length + 2;
        int end = xml.IndexOf($"</{field}>", StringComparison.Ordinal);
        var result = FormatSamples.ReadVoucher(xml.Remove(start, end - start).Insert(start, System.Security.SecurityElement.Escape(value)));
        Assert.That(result.IsValid, Is.False, $"{field}={value} should be refused");
        Assert.That(result.Code, Is.EqualTo(RejectCode.R05));
        Assert.That(result.Field, Is.EqualTo(field));
        Assert.That(result.Error, Does.Match($@"^PV_522726_ZF2024000123\.xml line \d+ \({field}\): expected "));
    }

    [Test]
    public void Long_DetailFile_name_is_refused()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace(FormatSamples.ListFile, new string('Q', 125) + ".csv"));
        Assert.That(result.Field, Is.EqualTo("DetailFile"));
    }

    [TestCase("2024")]
    [TestCase("2024-H2")]
    [TestCase("2024-12")]
    public void Non_monthly_periods_are_accepted(string period)
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText(FormatSamples.Voucher() with { Period = period }));
        Assert.That(result.Voucher?.Period, Is.EqualTo(period), result.Error);
    }

    [Test]
    public void Attribute_on_a_field_is_refused()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("<PayAmt>", "<PayAmt currency=\"USD\">"));
        Assert.That(result.Field, Is.EqualTo("PayAmt"));
    }

    [Test]
    public void Element_inside_a_field_is_refused()
    {
        var result = FormatSamples.ReadVoucher(FormatSamples.VoucherXmlText().Replace("<PayAmt>", "<PayAmt><b/>"));
        Assert.That(result.Field, Is.EqualTo("PayAmt"));
    }
}
