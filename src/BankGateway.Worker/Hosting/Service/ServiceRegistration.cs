using BankGateway.Worker.Delivery;
using BankGateway.Files.Signing;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.Database;
using BankGateway.Worker.Intake;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Posting;
using BankGateway.Worker.Results;
using BankGateway.Worker.Returns;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Quartz;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>Everything the service adds to the stages: channels, locks, metrics' sources and the Quartz schedule.</summary>
internal static class ServiceRegistration
{
    /// <summary>The scheduler name every node of a cluster shares (qrtz_*.sched_name).</summary>
    public const string SchedulerName = "BankGateway";

    private static readonly TimeSpan DatabaseRetryInterval = TimeSpan.FromSeconds(3);

    public static IServiceCollection AddGatewayService(this IServiceCollection services, GatewaySettings settings, ServiceSettings service,
        NpgsqlDataSource db, string connectionString, Sm2PrivateKey bankKey)
    {
        services.AddSingleton(settings);
        services.AddSingleton(service);
        services.AddSingleton(db);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new GatewayClock(TimeProvider.System));
        services.AddSingleton(new BankKey(bankKey));
        GatewayRuntime.AddStages(services);

        services.AddSingleton(sp => ChannelRegistry.Build(service.Channels, sp));
        services.AddSingleton<ChannelCircuits>();
        services.AddSingleton<Dashboard.IChannelControl, ChannelControl>();
        services.AddSingleton<DeadlineWatch>();
        services.AddHostedService<DatabaseFailoverWatch>();
        services.AddSingleton<ChannelPoll>();
        services.AddSingleton<ChannelPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<ChannelPoller>());
        services.AddHostedService<PostingWorker>();
        services.AddHostedService<AnswerWorker>();
        services.AddTransient<ReturnsJob>();
        services.AddTransient<ClearingJob>();
        services.AddTransient<ReconciliationJob>();
        services.AddTransient<Reconciliation.StatementsJob>();
        services.AddTransient<Supervision.SupervisionJob>();
        services.AddTransient<Archive.ArchiveJob>();
        services.AddQuartz(q => Schedule(q, settings, service, connectionString));
        // SIGTERM: running jobs are asked to stop (posting stops between chunks, a chunk always commits or rolls
        // back whole) and waited for; HostOptions.ShutdownTimeout bounds the wait.
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        Notices.SmsRegistration.AddSmsService(services);
        return services;
    }

    private static void Schedule(IQuartzBuilder q, GatewaySettings settings, ServiceSettings service, string connectionString)
    {
        var china = ChinaTimeZone();
        q.ConfigureScheduler(o =>
        {
            o.InstanceName = SchedulerName;
            o.ShutdownJobInterruption = ShutdownJobInterruption.WhenWaitingForJobs;
        });
        q.UsePersistentStore(store =>
        {
            store.UsePostgres(NpgsqlFactory.Instance, connectionString);
            store.UseClustering(c =>
            {
                c.CheckinInterval = TimeSpan.FromSeconds(service.CheckinSeconds);
                c.CheckinMisfireThreshold = TimeSpan.FromSeconds(service.CheckinSeconds * 2);
            });
            store.UseSystemTextJsonSerializer(null);
            // The tables come from migration 002_quartz.sql; Quartz only checks them.
            store.ConfigureStore(o =>
            {
                o.SchemaProvisioning = SchemaProvisioning.Validate;
                // After a database failure Quartz waits this long before firing again (default 15 s): a failover
                // would otherwise keep the polls idle for that long after the new primary answers.
                o.DbRetryInterval = DatabaseRetryInterval;
            });
        });

        // Returns: daily at ReturnTime (the job itself skips days off) and once at every start, to catch up.
        q.AddJob<ReturnsJob>(j => j.WithIdentity(ReturnsJob.Key).DisallowConcurrentExecution().WithDescription("execute due returns"));
        q.AddTrigger(t => t.ForJob(ReturnsJob.Key).WithIdentity("returns-daily", ReturnsJob.Key.Group)
            .WithSchedule(Daily(settings.ReturnTime, china)));
        q.RunAtStartup(ReturnsJob.Key);

        q.AddJob<ClearingJob>(j => j.WithIdentity(ClearingJob.Key).DisallowConcurrentExecution().WithDescription("write the day's QS_ requests"));
        q.AddTrigger(t => t.ForJob(ClearingJob.Key).WithIdentity("clearing-daily", ClearingJob.Key.Group)
            .WithSchedule(Daily(service.ClearingTime, china)));

        q.AddJob<ReconciliationJob>(j => j.WithIdentity(ReconciliationJob.Key).DisallowConcurrentExecution().WithDescription("reconcile vouchers with the journal"));
        q.AddTrigger(t => t.ForJob(ReconciliationJob.Key).WithIdentity("reconciliation-periodic", ReconciliationJob.Key.Group)
            .StartAt(DateTimeOffset.UtcNow.AddMinutes(service.ReconciliationMinutes))
            .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(TimeSpan.FromMinutes(service.ReconciliationMinutes)).RepeatForever()
                .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)));
        q.RunAtStartup(ReconciliationJob.Key);

        Notices.SmsSendJob.Schedule(q);
        // Statements (DZ_ month/year, MB_ quarter): every working day at 08:30 China time and at start, catching up missed periods.
        q.AddJob<Reconciliation.StatementsJob>(j => j.WithIdentity(Reconciliation.StatementsJob.Key).DisallowConcurrentExecution()
            .WithDescription("write due DZ_ and MB_ statements"));
        q.AddTrigger(t => t.ForJob(Reconciliation.StatementsJob.Key).WithIdentity("statements-daily", Reconciliation.StatementsJob.Key.Group)
            .WithSchedule(Daily(Reconciliation.StatementsJob.DailyAt, china)));
        q.RunAtStartup(Reconciliation.StatementsJob.Key);
        q.AddJob<Supervision.SupervisionJob>(j => j.WithIdentity(Supervision.SupervisionJob.Key).DisallowConcurrentExecution()
            .WithDescription("verify the audit chain and list anomalies month to date"));
        q.AddTrigger(t => t.ForJob(Supervision.SupervisionJob.Key).WithIdentity("supervision-nightly", Supervision.SupervisionJob.Key.Group)
            .WithSchedule(Daily(Supervision.SupervisionJob.Time, china)));
        q.AddJob<Archive.ArchiveJob>(j => j.WithIdentity(Archive.ArchiveJob.Key).DisallowConcurrentExecution()
            .WithDescription("purge archived copies past the retention, verify the rest"));
        q.AddTrigger(t => t.ForJob(Archive.ArchiveJob.Key).WithIdentity("archive-daily", Archive.ArchiveJob.Key.Group)
            .WithSchedule(Daily(Archive.ArchiveJob.Time, china)));
    }

    // A daily time in China time; a run missed while every node was down fires once when one comes back.
    private static CronScheduleBuilder Daily(TimeOnly at, TimeZoneInfo china) =>
        CronScheduleBuilder.Create($"0 {at.Minute} {at.Hour} ? * *").InTimeZone(china)
            .WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed);

    private static TimeZoneInfo ChinaTimeZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        }
        catch (TimeZoneNotFoundException e)
        {
            throw new InvalidOperationException("The time zone Asia/Shanghai is not installed (package tzdata); the schedules run in China time.", e);
        }
    }
}
