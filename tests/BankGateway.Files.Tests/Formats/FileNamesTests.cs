using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

public class FileNamesTests
{
    [TestCase("PV_522726_ZF2024000123.xml", "522726", "ZF2024000123")]
    [TestCase("PV_522726_a-B-9.xml", "522726", "a-B-9")]
    [TestCase("PV_522726_12345678901234567890123456789012.xml", "522726", "12345678901234567890123456789012")]
    public void Voucher_file_name_is_parsed(string name, string adm, string no)
    {
        Assert.That(FileNames.TryParseVoucherFileName(name, out var a, out var n), Is.True);
        Assert.That((a, n), Is.EqualTo((adm, no)));
    }

    [TestCase("PV_52272_ZF1.xml")]
    [TestCase("PV_5227260_ZF1.xml")]
    [TestCase("PV_522726_.xml")]
    [TestCase("PV_522726_ZF_1.xml")]
    [TestCase("PV_522726_ZF1.XML")]
    [TestCase("pv_522726_ZF1.xml")]
    [TestCase("PV_522726_../x.xml")]
    [TestCase("PV_522726_ZF1.xml.tmp")]
    [TestCase("PV_522726_123456789012345678901234567890123.xml")]
    [TestCase("HD_522726_ZF1.xml")]
    public void Other_names_are_not_vouchers(string name)
    {
        Assert.That(FileNames.TryParseVoucherFileName(name, out _, out _), Is.False);
    }

    [Test]
    public void Outbound_names_follow_the_contract()
    {
        Assert.That(FileNames.Receipt("522726", "ZF1"), Is.EqualTo("HD_522726_ZF1.xml"));
        Assert.That(FileNames.Result("522726", "ZF1"), Is.EqualTo("RS_522726_ZF1.csv"));
        Assert.That(FileNames.Rejection("522726", "ZF1"), Is.EqualTo("RJ_522726_ZF1.xml"));
        Assert.That(FileNames.ReturnNotice("522726", "ZF1"), Is.EqualTo("TH_522726_ZF1.xml"));
        Assert.That(FileNames.Clearing("522726", new DateOnly(2024, 3, 5)), Is.EqualTo("QS_522726_20240305.xml"));
        Assert.That(FileNames.Signature("HD_522726_ZF1.xml"), Is.EqualTo("HD_522726_ZF1.xml.sig"));
    }

    [Test]
    public void Builder_refuses_an_unsafe_voucher_number()
    {
        Assert.Throws<ArgumentException>(() => FileNames.Receipt("522726", "../x"));
    }

    [TestCase("QC_522726_ZF1.csv", true)]
    [TestCase("a/b", false)]
    [TestCase("a\\b", false)]
    [TestCase("..", false)]
    [TestCase("a..b", false)]
    [TestCase("", false)]
    [TestCase("a\u0000b", false)]
    [TestCase("a\nb", false)]
    public void Safe_file_names(string name, bool safe)
    {
        Assert.That(FileNames.IsSafeFileName(name), Is.EqualTo(safe));
    }

    [TestCase("HD_522726_ZF2024000123.xml")]
    [TestCase("HD_522726_ZF2024000123.xml.sig")]
    [TestCase("RS_522726_ZF2024000123.csv")]
    [TestCase("RJ_522726_a-B-9.xml")]
    [TestCase("TH_522726_ZF2024000123.xml.sig")]
    [TestCase("QS_522726_20240930.xml")]
    [TestCase("DZ_522726_202409.xml")]
    [TestCase("DZ_522726_2024.xml.sig")]
    [TestCase("MB_522726_2024Q3.csv")]
    public void Outbound_names_are_recognised(string name) => Assert.That(FileNames.IsOutboundFileName(name), Is.True);

    [TestCase("RS_522726_ZF2024000123.csv.mismatch")]
    [TestCase("RS_522726_ZF2024000123.csv.mismatch.sig")]
    [TestCase("HD_522726_ZF2024000123.xml.bak")]
    [TestCase(".HD_522726_ZF2024000123.xml.tmp")]
    [TestCase("HD_522726_ZF2024000123.csv")]
    [TestCase("RS_522726_ZF2024000123.xml")]
    [TestCase("PV_522726_ZF2024000123.xml")]
    [TestCase("QC_522726_ZF2024000123.csv")]
    [TestCase("QS_522726_20241332.xml")]
    [TestCase("HD_52272X_ZF1.xml")]
    [TestCase("HD_522726_.xml")]
    [TestCase("HD_522726_ZF_1.xml")]
    [TestCase("DZ_522726_202413.xml")]
    [TestCase("DZ_522726_202400.xml")]
    [TestCase("MB_522726_2024Q5.csv")]
    [TestCase("MB_522726_2024Q3.xml")]
    [TestCase(".sig")]
    [TestCase("")]
    public void Anything_else_is_not_an_outbound_name(string name) => Assert.That(FileNames.IsOutboundFileName(name), Is.False);
}
