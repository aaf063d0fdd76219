using BankGateway.Domain.Calendar;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Channels;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>Gateway:Channels:&lt;n&gt;:PayWithin: parsing, validation at start, and the deadline it gives (working days by the calendar, or calendar days).</summary>
public sealed class PayWithinTests
{
    // 2024: National Day 10-01..10-07 off; Sunday 09-29 and Saturday 10-12 are working days.
    private static readonly WorkingDayCalendar Calendar = new(new Dictionary<int, (IReadOnlySet<DateOnly>, IReadOnlySet<DateOnly>)>
    {
        [2024] = (
            Enumerable.Range(1, 7).Select(d => new DateOnly(2024, 10, d)).ToHashSet(),
            new HashSet<DateOnly> { new(2024, 9, 29), new(2024, 10, 12) }),
    });

    [TestCase("2WD", 2, true)]
    [TestCase("3D", 3, false)]
    [TestCase(" 1wd ", 1, true)]
    [TestCase("30d", 30, false)]
    public void Parses_working_and_calendar_days(string text, int days, bool working)
    {
        Assert.That(PayWithin.TryParse(text, out var p), Is.True);
        Assert.That(p, Is.EqualTo(new PayWithin(days, working)));
        Assert.That(PayWithin.Read(p.ToString(), "k"), Is.EqualTo(p), "round trip");
    }

    [TestCase("")]
    [TestCase("2")]
    [TestCase("0WD")]
    [TestCase("31D")]
    [TestCase("-1D")]
    [TestCase("2 WD")]
    [TestCase("2W")]
    [TestCase("WD")]
    [TestCase("２WD")]
    [TestCase("2WDD")]
    public void Refuses_anything_else(string text) => Assert.That(PayWithin.TryParse(text, out _), Is.False);

    [Test]
    public void Empty_is_the_default_two_working_days_and_a_wrong_value_names_the_key()
    {
        Assert.That(PayWithin.Read(null, "k"), Is.EqualTo(new PayWithin(2, true)));
        var e = Assert.Throws<SettingsException>(() => PayWithin.Read("2 days", "Gateway:Channels:0:PayWithin"))!;
        Assert.That(e.Message, Does.Contain("Gateway:Channels:0:PayWithin").And.Contain("2 days"));
    }

    [Test]
    public void Working_days_follow_the_calendar()
    {
        var twoWd = new PayWithin(2, true);
        Assert.That(twoWd.DeadlineAfter(Calendar, new DateOnly(2024, 9, 30)), Is.EqualTo(new DateOnly(2024, 10, 9)), "over National Day");
        Assert.That(twoWd.DeadlineAfter(Calendar, new DateOnly(2024, 9, 27)), Is.EqualTo(new DateOnly(2024, 9, 30)), "Sunday 09-29 is a working day");
        Assert.That(new PayWithin(1, true).DeadlineAfter(Calendar, new DateOnly(2024, 10, 11)), Is.EqualTo(new DateOnly(2024, 10, 12)), "Saturday 10-12 is a working day");
        Assert.That(twoWd.DeadlineAfter(Calendar, new DateOnly(2024, 9, 30)),
            Is.EqualTo(BankGateway.Worker.Hosting.Service.DeadlineWatch.Deadline(Calendar, new DateOnly(2024, 9, 30))), "2WD is the former fixed rule");
    }

    [Test]
    public void Calendar_days_ignore_holidays()
    {
        Assert.That(new PayWithin(3, false).DeadlineAfter(Calendar, new DateOnly(2024, 9, 30)), Is.EqualTo(new DateOnly(2024, 10, 3)));
        Assert.That(new PayWithin(1, false).DeadlineAfter(Calendar, new DateOnly(2024, 12, 31)), Is.EqualTo(new DateOnly(2025, 1, 1)));
    }

    [Test]
    public void Rules_are_read_per_channel_and_validated()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Channels:0:AdmDivCode"] = "110000",
            ["Gateway:Channels:0:PayWithin"] = "3D",
            ["Gateway:Channels:1:AdmDivCode"] = "120000",
        }).Build();
        var rules = DeadlineRules.From(config);
        Assert.That(rules.For("110000"), Is.EqualTo(new PayWithin(3, false)));
        Assert.That(rules.For("120000"), Is.EqualTo(PayWithin.Default));
        Assert.That(rules.For("999999"), Is.EqualTo(PayWithin.Default));

        var wrong = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Channels:0:AdmDivCode"] = "110000",
            ["Gateway:Channels:0:PayWithin"] = "soon",
        }).Build();
        Assert.That(() => DeadlineRules.From(wrong), Throws.TypeOf<SettingsException>().With.Message.Contains("Gateway:Channels:0:PayWithin"));
        Assert.That(() => ChannelSettings.ReadAll(wrong), Throws.TypeOf<SettingsException>());
    }
}

/// <summary>DeadlineWatch applies each bureau's own PayWithin (sample day: voucher received 2024-09-30, National Day after it).</summary>
[TestFixture]
[NonParallelizable]
public sealed class PayWithinDeadlineWatchTests
{
    [Test]
    public async Task A_channel_with_three_calendar_days_is_at_risk_during_the_holiday()
    {
        var (gateway, _) = await ReturnsJobTests.SampleDayAsync("pay_within_watch");
        await using var _g = gateway;
        await gateway.ScalarAsync<long>("""
            update vouchers set status = 'HELD', received_at = '2024-09-30T10:00:00+08:00'
            from (select set_config('bankgateway.override', 'test: an open voucher', true)) o
            where voucher_no = 'ZF2024000125' returning id
            """);
        string adm = await gateway.ScalarAsync<string>("select adm_div_code from vouchers where voucher_no = 'ZF2024000125'");
        var calendarDays = new BankGateway.Worker.Hosting.Service.DeadlineWatch(gateway.Db, gateway.Get<BankGateway.Worker.Returns.CalendarStore>(), gateway.Get<GatewayClock>(),
            new DeadlineRules(new Dictionary<string, PayWithin> { [adm] = new(3, false) }));
        var workingDays = new BankGateway.Worker.Hosting.Service.DeadlineWatch(gateway.Db, gateway.Get<BankGateway.Worker.Returns.CalendarStore>(), gateway.Get<GatewayClock>());

        ReturnsJobTests.SetChinaTime(gateway, 10, 3, 12, 0);
        var risk = await calendarDays.MeasureAsync(CancellationToken.None);
        Assert.That(risk.VouchersAtRisk.Select(v => (v.VoucherNo, v.Deadline)), Is.EqualTo(new[] { ("ZF2024000125", new DateOnly(2024, 10, 3)) }));
        Assert.That(BankGateway.Worker.Hosting.Service.DeadlineWatch.ByChannel(risk), Is.EqualTo(new Dictionary<string, int> { [adm] = 1 }));
        Assert.That((await workingDays.MeasureAsync(CancellationToken.None)).VouchersAtRisk, Is.Empty, "2WD: not before 10-09");
    }
}
