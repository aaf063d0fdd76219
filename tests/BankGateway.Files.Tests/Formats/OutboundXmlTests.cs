using System.Text;
using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

public class OutboundXmlTests
{
    private static readonly DateTimeOffset Received = new(2024, 3, 15, 9, 5, 7, ChinaTime.Offset);

    private static string Text(Action<Stream> write)
    {
        using var ms = new MemoryStream();
        write(ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static MemoryStream Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    private static readonly VoucherReceipt Receipt = new("ZF2024000123", "522726", ReceiptStatus.PARTIAL, Received, Received.AddMinutes(3),
        3, Money.Parse("1050.00"), 2, Money.Parse("700.00"), 1, Money.Parse("350.00"), "RS_522726_ZF2024000123.csv", new string('b', 64),
        new DateOnly(2024, 3, 18));

    [Test]
    public void Receipt_round_trips()
    {
        var xml = Text(s => VoucherReceiptXml.Write(Receipt, s));
        Assert.That(VoucherReceiptXml.Read(Bytes(xml), "HD_522726_ZF2024000123.xml"), Is.EqualTo(Receipt));
        var paid = Receipt with { Status = ReceiptStatus.PAID, PaidCount = 3, PaidAmt = Receipt.TotalAmt, FailedCount = 0, FailedAmt = Money.Zero, ReturnDate = null };
        Assert.That(VoucherReceiptXml.Read(Bytes(Text(s => VoucherReceiptXml.Write(paid, s))), "HD.xml"), Is.EqualTo(paid));
    }

    [Test]
    public void Receipt_is_flat_UTF8_without_BOM_with_China_time()
    {
        using var ms = new MemoryStream();
        VoucherReceiptXml.Write(Receipt with { ReturnDate = null, ReceivedAt = new DateTimeOffset(2024, 3, 15, 1, 5, 7, TimeSpan.Zero) }, ms);
        var bytes = ms.ToArray();
        Assert.That(bytes[0], Is.EqualTo((byte)'<'));
        var xml = Encoding.UTF8.GetString(bytes);
        Assert.That(xml, Does.StartWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Receipt>\n  <VoucherNo>ZF2024000123</VoucherNo>"));
        Assert.That(xml, Does.Contain("<ReceivedAt>2024-03-15T09:05:07</ReceivedAt>"));
        Assert.That(xml, Does.Contain("<Status>PARTIAL</Status>"));
        Assert.That(xml, Does.Contain("<TotalAmt>1050.00</TotalAmt>"));
        Assert.That(xml, Does.Contain("<ReturnDate></ReturnDate>"));
    }

    [Test]
    public void Receipt_whose_amounts_do_not_balance_is_refused()
    {
        var xml = Text(s => VoucherReceiptXml.Write(Receipt with { FailedAmt = Money.Parse("1.00") }, s));
        var ex = Assert.Throws<FileFormatException>(() => VoucherReceiptXml.Read(Bytes(xml), "HD.xml"))!;
        Assert.That(ex.Field, Is.EqualTo("TotalAmt"));
    }

    [Test]
    public void Receipt_with_bad_status_names_the_field()
    {
        var xml = Text(s => VoucherReceiptXml.Write(Receipt, s)).Replace("PARTIAL", "1");
        var ex = Assert.Throws<FileFormatException>(() => VoucherReceiptXml.Read(Bytes(xml), "HD.xml"))!;
        Assert.That(ex.Field, Is.EqualTo("Status"));
    }

    [Test]
    public void Rejection_round_trips_and_escapes_hostile_detail()
    {
        var notice = RejectionNotice.For("ZF2024000123", "522726", RejectCode.R05,
            "PV_522726_ZF2024000123.xml line 3 (PayAmt): expected yuan, got '<script>&amp;'", Received);
        var xml = Text(s => RejectionNoticeXml.Write(notice, s));
        Assert.That(xml, Does.Contain("<Rejection>").And.Contain("<Code>R05</Code>").And.Contain("<Reason>凭证格式错误</Reason>"));
        Assert.That(xml, Does.Contain("&lt;script&gt;&amp;amp;"));
        Assert.That(RejectionNoticeXml.Read(Bytes(xml), "RJ.xml"), Is.EqualTo(notice));
    }

    [Test]
    public void Rejection_detail_with_control_characters_is_still_written()
    {
        var notice = RejectionNotice.For("ZF1", "522726", RejectCode.R06, "bad \u0001 byte", Received);
        var xml = Text(s => RejectionNoticeXml.Write(notice, s));
        Assert.That(RejectionNoticeXml.Read(Bytes(xml), "RJ.xml").Detail, Is.EqualTo("bad ? byte"));
    }

    [Test]
    public void Return_notice_round_trips_with_lines()
    {
        var notice = new ReturnNotice("ZF2024000123", "522726", FundChannel.GRAIN_FUND, "2401009900000001", "独山县财政局粮食风险基金专户",
            new DateOnly(2024, 3, 18), 2, Money.Parse("700.00"),
            [new ReturnLine("2", Money.Parse("350.00"), FailureCode.F09), new ReturnLine("7", Money.Parse("350.00"), FailureCode.F15)]);
        var xml = Text(s => ReturnNoticeXml.Write(notice, s));
        Assert.That(xml, Does.Contain("<Return>").And.Contain("<Line SeqNo=\"2\" Amount=\"350.00\" Code=\"F09\" />"));
        Assert.That(ReturnNoticeXml.Read(Bytes(xml), "TH.xml"), Is.EqualTo(notice));
    }

    [Test]
    public void Return_line_with_bad_code_names_the_attribute()
    {
        var notice = new ReturnNotice("ZF1", "522726", FundChannel.TREASURY, "1", "x", new DateOnly(2024, 3, 18), 1, Money.Parse("1.00"),
            [new ReturnLine("1", Money.Parse("1.00"), FailureCode.F08)]);
        var xml = Text(s => ReturnNoticeXml.Write(notice, s)).Replace("F08", "R08");
        var ex = Assert.Throws<FileFormatException>(() => ReturnNoticeXml.Read(Bytes(xml), "TH.xml"))!;
        Assert.That(ex.Field, Is.EqualTo("Code"));
        Assert.That(ex.Line, Is.GreaterThan(1));
    }

    [Test]
    public void Clearing_request_round_trips_with_lines()
    {
        var request = ClearingRequest.Of("522726", new DateOnly(2024, 3, 15),
        [
            new ClearingLine("2401009900012345", "独山县民政局", "ZF2024000123", Money.Parse("700.00"), FundChannel.TREASURY, new DateOnly(2024, 3, 14)),
            new ClearingLine("2401009900012345", "独山县农业农村局", "ZF2024000124", Money.Parse("700.01"), FundChannel.GRAIN_FUND, new DateOnly(2024, 3, 15)),
        ]);
        var xml = Text(s => ClearingRequestXml.Write(request, s));
        Assert.That(xml, Does.Contain("<Clearing>").And.Contain("<ClearDate>2024-03-15</ClearDate>").And.Contain("<Lines>")
            .And.Contain("<TotalAmt>1400.01</TotalAmt>").And.Contain("<TreasuryAmt>700.00</TreasuryAmt>").And.Contain("<GrainFundAmt>700.01</GrainFundAmt>")
            .And.Contain("FundChannel=\"GRAIN_FUND\" BusinessDate=\"2024-03-15\""));
        Assert.That(ClearingRequestXml.Read(Bytes(xml), "QS_522726_20240315.xml"), Is.EqualTo(request));
    }

    [Test]
    public void Outbound_reader_refuses_doctype()
    {
        var xml = Text(s => ClearingRequestXml.Write(ClearingRequest.Of("522726", new DateOnly(2024, 3, 15), []), s))
            .Replace("<Clearing>", "<!DOCTYPE Clearing [<!ENTITY a \"b\">]><Clearing>");
        var ex = Assert.Throws<FileFormatException>(() => ClearingRequestXml.Read(Bytes(xml), "QS.xml"))!;
        Assert.That(ex.Problem, Does.Contain("DOCTYPE"));
    }
}
