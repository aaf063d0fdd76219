using Microsoft.Extensions.Logging;
using Quartz;

namespace BankGateway.Worker.Notices;

/// <summary>
/// The service sends notices continuously: every 10 s one node of the cluster runs a pass of at most 50 s over
/// the notices that are due. Nothing to send, no URL or quiet hours: the pass ends at once.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class SmsSendJob(SmsSender sender, ILogger<SmsSendJob> logger) : IJob
{
    public static readonly JobKey Key = new("sms-send", "notices");

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(50);

    public static void Schedule(IQuartzBuilder q)
    {
        q.AddJob<SmsSendJob>(j => j.WithIdentity(Key).DisallowConcurrentExecution().WithDescription("send pending SMS notices"));
        q.AddTrigger(t => t.ForJob(Key).WithIdentity("sms-send-periodic", Key.Group).StartNow()
            .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(Interval).RepeatForever()
                .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)));
    }

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        try
        {
            var report = await sender.SendAsync(operatorRun: false, Budget, ct);
            if (report.Sent > 0 || report.Failed > 0 || report.Unreachable)
                logger.LogInformation("SMS: {Sent} notice(s) sent, {Failed} not acknowledged, {Pending} pending{Stopped}",
                    report.Sent, report.Failed, report.Pending, report.Stopped is null ? "" : "; " + report.Stopped);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutdown: acknowledged notices were recorded; the rest go after the restart.
        }
        catch (Exception e)
        {
            // The database or the platform misbehaved: the next run tries again; the schedule never stops.
            logger.LogWarning(e, "SMS: sending pass failed: {Message}", e.Message);
        }
    }
}
