using BankGateway.Worker.Hosting;
using BankGateway.Worker.Notices;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Notices;

/// <summary>The SMS template and settings are checked at start (contract §16: the text names every field).</summary>
[TestFixture]
public sealed class SmsTemplateTests
{
    private static SmsSettings Settings(params (string Key, string Value)[] values) =>
        SmsSettings.From(new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => "Gateway:Sms:" + v.Key, v => (string?)v.Value)).Build());

    [Test]
    public void Default_template_names_every_field_in_Chinese_and_fits_one_segment()
    {
        var template = SmsTemplate.Parse(SmsTemplate.DefaultText);
        string text = template.Sample();
        Assert.That(text, Is.EqualTo("【一卡通】您尾号6633的社保卡账户于2024-09-30收到独山县民政局发放的城乡居民最低生活保障金（2024-09）1013.00元。"));
        Assert.That(SmsTemplate.Segments(text), Is.EqualTo(1));
        Assert.That(template.Describe(), Does.Contain("1 segment"));
        Assert.That(Settings().Template.Text, Is.EqualTo(SmsTemplate.DefaultText));
        Assert.That(Settings().Url, Is.Null, "no URL by default: notices wait");
    }

    [Test]
    public void Template_missing_last4_is_refused_naming_the_key_and_the_field()
    {
        var e = Assert.Throws<SettingsException>(() => Settings(("Template", "{subsidy}{amount}{date}{dept}{period}")))!;
        Assert.That(e.Key, Is.EqualTo("Gateway:Sms:Template"));
        Assert.That(e.Message, Does.Contain("{last4}"));
    }

    [TestCase("{subsidy}{amount}{date}{dept}{period}{last4}{account}", "unknown field {account}")]
    [TestCase("{amount}{date}{dept}{period}{last4}", "{subsidy}")]
    [TestCase("   ", "empty")]
    public void Bad_templates_are_refused(string text, string message) =>
        Assert.That(() => SmsTemplate.Parse(text), Throws.TypeOf<SettingsException>().With.Message.Contains(message));

    [Test]
    public void Sql_format_fills_the_voucher_fields_once_and_escapes_percent()
    {
        var template = SmsTemplate.Parse("{subsidy}|{dept}|{period}|{date}|{amount}|{last4}|100%");
        Assert.That(template.SqlFormat("补贴{amount}", "部门50%", "2024-09", new DateOnly(2024, 9, 30)),
            Is.EqualTo("补贴{amount}|部门50%%|2024-09|2024-09-30|%1$s|%2$s|100%%"));
    }

    [TestCase(70, 1)]
    [TestCase(71, 2)]
    [TestCase(134, 2)]
    [TestCase(135, 3)]
    public void Segments_are_70_characters_alone_then_67_per_part(int characters, int segments) =>
        Assert.That(SmsTemplate.Segments(new string('元', characters)), Is.EqualTo(segments));

    [Test]
    public void Quiet_hours_span_midnight_in_China_time()
    {
        var s = Settings(("QuietHours", "22:00-08:00"));
        Assert.That(s.IsQuiet(new TimeOnly(23, 30)), Is.True);
        Assert.That(s.IsQuiet(new TimeOnly(7, 59)), Is.True);
        Assert.That(s.IsQuiet(new TimeOnly(8, 0)), Is.False);
        Assert.That(s.IsQuiet(new TimeOnly(21, 59)), Is.False);
        Assert.That(Settings(("QuietHours", "12:00-13:00")).IsQuiet(new TimeOnly(12, 30)), Is.True);
        Assert.That(Settings().IsQuiet(new TimeOnly(3, 0)), Is.False, "none by default");
        Assert.That(() => Settings(("QuietHours", "22-8")), Throws.TypeOf<SettingsException>().With.Property("Key").EqualTo("Gateway:Sms:QuietHours"));
        Assert.That(() => Settings(("Url", "ftp://x")), Throws.TypeOf<SettingsException>().With.Property("Key").EqualTo("Gateway:Sms:Url"));
    }
}
