using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Notices;
using NUnit.Framework;
using static BankGateway.Pipeline.Tests.Pipeline.VoucherBuilder;

namespace BankGateway.Pipeline.Tests.Notices;

/// <summary>The sender in-process with a clock the test moves: quiet hours in China time, and SQL rendering equal to the template's.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SmsSenderTests
{
    [Test]
    public async Task Quiet_hours_hold_notices_until_morning_and_texts_match_the_template()
    {
        await using var platform = await SmsPlatform.StartAsync(failRatio: 0, seed: 1);
        var server = await TestDatabase.GetSharedAsync();
        await using var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"),
            new Dictionary<string, string?>
            {
                ["Gateway:Sms:Url"] = platform.Url.ToString(),
                ["Gateway:Sms:QuietHours"] = "22:00-08:00",
                ["Gateway:Sms:Template"] = "{dept}{subsidy}{period}:{date}入账{amount}元,尾号{last4},100%到账",
            });
        var finance = Sm2KeyGenerator.Generate();
        var people = LargeVoucher.Write(Path.Combine(gateway.Work, "unused"), Path.Combine(gateway.Work, "people"), 5, finance, accountMultiple: 1);
        await gateway.Get<AccountMaster>().ImportAsync(people.AccountsPath, null, CancellationToken.None);
        await gateway.Get<CatalogueImport>().ImportAsync(people.CataloguePath, CancellationToken.None);
        string inbox = Path.Combine(gateway.Work, "inbox");
        new VoucherBuilder("ZFQUIET", Line(1, 1, "12.34") with { Phone = "13900000001" }, Line(2, 2) with { Phone = "13900000002" }, Line(3, 3))
            .WriteTo(inbox, finance);
        await gateway.RunOnceAsync(inbox, finance.PublicKey, new DateOnly(2024, 9, 30));

        var template = gateway.Get<SmsSettings>().Template;
        var notices = await gateway.QueryAsync<(string Id, string Text)>("select id, text from sms_notices order by id");
        Assert.That(notices, Is.EqualTo(new[]
        {
            ("522726-ZFQUIET-1", template.Render(LargeVoucher.SubsidyName, LargeVoucher.DeptName, LargeVoucher.Period, new DateOnly(2024, 9, 30), "12.34", LargeVoucher.Account(1)[^4..])),
            ("522726-ZFQUIET-2", template.Render(LargeVoucher.SubsidyName, LargeVoucher.DeptName, LargeVoucher.Period, new DateOnly(2024, 9, 30), "350.00", LargeVoucher.Account(2)[^4..])),
        }), "rendered in SQL exactly as the template renders in C#");
        Assert.That(notices[0].Text, Does.EndWith(",100%到账"));

        var sender = gateway.Get<SmsSender>();
        gateway.Clock.Now = new DateTimeOffset(2024, 9, 30, 15, 30, 0, TimeSpan.Zero); // 23:30 China time
        var night = await sender.SendAsync(operatorRun: false, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.That((night.Sent, night.Pending, night.Unreachable), Is.EqualTo((0, 2L, false)));
        Assert.That(night.Stopped, Does.Contain("quiet hours"));
        Assert.That(platform.Requests, Is.Empty);

        gateway.Clock.Now = new DateTimeOffset(2024, 10, 1, 0, 0, 0, TimeSpan.Zero); // 08:00 China time
        var morning = await sender.SendAsync(operatorRun: false, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.That((morning.Sent, morning.Failed, morning.Pending, morning.Stopped), Is.EqualTo((2, 0, 0L, (string?)null)));
        Assert.That(platform.Acknowledged.Select(r => (r.Id, r.Text)), Is.EquivalentTo(notices));
        Assert.That(platform.Acknowledged.Select(r => r.Phone), Is.EquivalentTo(new[] { "13900000001", "13900000002" }));
    }
}
