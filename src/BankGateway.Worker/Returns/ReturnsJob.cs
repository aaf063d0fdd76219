using BankGateway.Domain.Calendar;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Intake.Channels;
using Microsoft.Extensions.Logging;
using Quartz;

namespace BankGateway.Worker.Returns;

/// <summary>
/// Executes due returns at Gateway:ReturnTime (China time) on working days, and once at every start. Returns
/// execute everything due on or before today that has not been executed, so days missed while the service was
/// down are caught up at the first working-day run, exactly once (rows are claimed, then marked Executed).
/// On a day off it does nothing: the money waits for the next working day, as the contract says.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ReturnsJob(
    ReturnService returns,
    CalendarStore calendars,
    GatewaySettings settings,
    GatewayClock clock,
    ChannelRegistry channels,
    ChannelLock locks,
    ILogger<ReturnsJob> logger) : IJob
{
    public static readonly JobKey Key = new("returns", "returns");

    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        try
        {
            await RunDueAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("Returns: stopped for shutdown; the next run finishes what is left");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Returns: run failed: {Message}; the next run retries", e.Message);
        }
    }

    /// <summary>Runs the returns if now is a working day at or after ReturnTime; null when it is not the time.</summary>
    public async Task<IReadOnlyList<ReturnService.Executed>?> RunDueAsync(CancellationToken ct)
    {
        var now = clock.Provider.GetUtcNow().ToOffset(China);
        var today = DateOnly.FromDateTime(now.DateTime);
        var calendar = await calendars.LoadAsync(ct); // every run: an operator's calendar import counts at once
        var status = calendar.TryIsWorkingDay(today);
        if (status == WorkingDayStatus.NotCovered)
        {
            logger.LogError("Returns: the calendar has no data for {Year}; {Today:yyyy-MM-dd} is taken as an ordinary {Day} — import the {Year} calendar",
                today.Year, today, today.DayOfWeek, today.Year);
            status = today.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? WorkingDayStatus.DayOff : WorkingDayStatus.WorkingDay;
        }
        if (status != WorkingDayStatus.WorkingDay)
        {
            logger.LogInformation("Returns: {Today:yyyy-MM-dd} is not a working day; due returns wait for the next working day", today);
            return null;
        }
        if (TimeOnly.FromDateTime(now.DateTime) < settings.ReturnTime)
        {
            logger.LogInformation("Returns: due returns execute at {ReturnTime:HH\\:mm} China time, not yet", settings.ReturnTime);
            return null;
        }

        var executed = await returns.RunAsync(today, channels.OutboxesForJobs(logger), "service", ct);
        GatewayMetrics.ReturnsExecuted.Inc(executed.Count);
        foreach (var e in executed)
            logger.LogInformation("Returns: {Adm}/{VoucherNo} due {Due:yyyy-MM-dd}: {Count} line(s), {Amount} yuan returned, {Notice} written",
                e.AdmDivCode, e.VoucherNo, e.DueDate, e.Count, e.Amount, Path.GetFileName(e.NoticePath));
        await DeliverAsync(executed.Select(e => e.AdmDivCode), channels, locks, logger, ct);
        return executed;
    }

    /// <summary>Sends what was written for these bureaus now, each under its channel's lock (never beside a running poll).</summary>
    internal static async Task DeliverAsync(IEnumerable<string> bureaus, ChannelRegistry channels, ChannelLock locks, ILogger logger, CancellationToken ct)
    {
        foreach (var adm in bureaus.Distinct())
        {
            if (channels.Find(adm) is not { } entry) continue;
            try
            {
                await using var held = await locks.AcquireAsync(adm, ct);
                await entry.Channel.DeliverAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                GatewayMetrics.ChannelErrors.WithLabels(adm).Inc();
                logger.LogError(e, "Channel {Adm}: delivery failed: {Message}; the channel's next poll delivers again", adm, e.Message);
            }
        }
    }
}
