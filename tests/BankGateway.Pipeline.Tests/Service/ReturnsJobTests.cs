using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Returns;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// The service's returns schedule (contract §8): at Gateway:ReturnTime China time on working days only, catching up
/// what a downtime missed exactly once. Driven through ReturnsJob with a clock the test sets, on the sample day
/// 2024-09-30 (Monday), whose returns fall due on 2024-10-08, after the National Day holiday.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ReturnsJobTests
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    internal static async Task<(GatewayHarness Gateway, ReturnsJob Job)> SampleDayAsync(string name)
    {
        var server = await TestDatabase.GetSharedAsync();
        var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(name), SampleFiles.Key("bank_private.pem"));
        string samples = SampleFiles.CopyTo(gateway.Work);
        await gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
        await gateway.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
        await gateway.RunOnceAsync(Path.Combine(samples, "inbox"), SampleFiles.FinancePublic, new DateOnly(2024, 9, 30));

        var settings = new ChannelSettings
        {
            AdmDivCode = "522726", Kind = ChannelSettings.KindLocal, Inbox = Path.Combine(samples, "inbox"), Outbox = gateway.Outbox,
            FinancePublicKeyFile = SampleFiles.Key("finance_public.pem"),
        };
        var channels = new ChannelRegistry([new ChannelRegistry.Entry(new LocalChannel(settings), settings, SampleFiles.FinancePublic)]);
        var job = new ReturnsJob(gateway.Get<ReturnService>(), gateway.Get<CalendarStore>(), gateway.Get<GatewaySettings>(), gateway.Get<GatewayClock>(),
            channels, gateway.Get<BankGateway.Worker.Delivery.DeliveryStage>(), gateway.Get<ILogger<ReturnsJob>>());
        return (gateway, job);
    }

    internal static void SetChinaTime(GatewayHarness gateway, int month, int day, int hour, int minute) =>
        gateway.Clock.Now = new DateTimeOffset(2024, month, day, hour, minute, 0, China).ToUniversalTime();

    private static Task<long> ExecutedAsync(GatewayHarness gateway) => gateway.ScalarAsync<long>("select count(*) from returns where status = 'EXECUTED'");

    [Test]
    public async Task Return_due_after_a_holiday_waits_through_it_and_executes_on_the_next_working_day_at_ReturnTime()
    {
        var (gateway, job) = await SampleDayAsync("returns_job_holiday");
        await using var _ = gateway;
        Assert.That(await gateway.ScalarAsync<long>("select count(*) from returns where due_date = '2024-10-08'"), Is.EqualTo(2));

        SetChinaTime(gateway, 10, 1, 9, 0); // National Day: a holiday
        Assert.That(await job.RunDueAsync(CancellationToken.None), Is.Null, "nothing on a holiday");
        SetChinaTime(gateway, 10, 8, 8, 59); // the next working day, a minute early
        Assert.That(await job.RunDueAsync(CancellationToken.None), Is.Null, "nothing before ReturnTime");
        Assert.That(await ExecutedAsync(gateway), Is.Zero);

        SetChinaTime(gateway, 10, 8, 9, 0);
        var executed = await job.RunDueAsync(CancellationToken.None);
        Assert.That(executed, Has.Count.EqualTo(2));
        Assert.That(executed!.Select(e => e.DueDate), Is.All.EqualTo(new DateOnly(2024, 10, 8)));
        Assert.That(executed.Select(e => File.Exists(e.NoticePath + ".sig")), Is.All.True, "TH_ written and signed in the channel's outbox");
        Assert.That(executed.Select(e => Path.GetDirectoryName(e.NoticePath)), Is.All.EqualTo(gateway.Outbox));

        SetChinaTime(gateway, 10, 8, 9, 30);
        Assert.That(await job.RunDueAsync(CancellationToken.None), Is.Empty, "a second run the same day executes nothing");
        Assert.That(await ExecutedAsync(gateway), Is.EqualTo(2));
    }

    [Test]
    public async Task Return_missed_during_downtime_is_caught_up_once_on_the_next_working_day_and_never_twice()
    {
        var (gateway, job) = await SampleDayAsync("returns_job_catch_up");
        await using var _ = gateway;

        // The service was down all of 2024-10-08; it comes back on Wednesday 10-09 at 11:00 (the start-up run).
        SetChinaTime(gateway, 10, 9, 11, 0);
        var caughtUp = await job.RunDueAsync(CancellationToken.None);
        Assert.That(caughtUp, Has.Count.EqualTo(2));
        string notice = caughtUp![0].NoticePath;
        var written = File.GetLastWriteTimeUtc(notice);

        SetChinaTime(gateway, 10, 9, 11, 5); // another node's start-up run
        Assert.That(await job.RunDueAsync(CancellationToken.None), Is.Empty);
        SetChinaTime(gateway, 10, 10, 9, 0); // the next day's scheduled run
        Assert.That(await job.RunDueAsync(CancellationToken.None), Is.Empty);
        Assert.Multiple(async () =>
        {
            Assert.That(await ExecutedAsync(gateway), Is.EqualTo(2));
            Assert.That(await gateway.ScalarAsync<long>("select count(*) from journal where kind = 'R' and side = 'C'"), Is.EqualTo(2), "money returned once");
            Assert.That(await gateway.ScalarAsync<long>("select count(*) from audit_log where action = 'return.execute'"), Is.EqualTo(2));
            Assert.That(File.GetLastWriteTimeUtc(notice), Is.EqualTo(written), "the notice is never rewritten");
        });
    }

    [Test]
    public async Task Weekend_is_not_a_working_day_but_an_adjusted_working_Sunday_is()
    {
        var (gateway, job) = await SampleDayAsync("returns_job_weekend");
        await using var _ = gateway;
        SetChinaTime(gateway, 10, 6, 10, 0); // Sunday inside the holiday
        Assert.That(await job.RunDueAsync(CancellationToken.None), Is.Null);
        SetChinaTime(gateway, 9, 29, 10, 0); // Sunday 2024-09-29 is a 调休 working day: the job runs (nothing is due yet)
        Assert.That(await job.RunDueAsync(CancellationToken.None), Is.Empty);
        Assert.That(await ExecutedAsync(gateway), Is.Zero);
    }
}
