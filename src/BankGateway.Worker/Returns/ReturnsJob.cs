using BankGateway.Domain.Calendar;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
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
    Delivery.DeliveryStage delivery,
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
        var calendar = await calendars.CurrentAsync(ct); // checked every run: an operator's calendar import counts at once
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
        await delivery.DeliverAsync(channels, executed.Select(e => e.AdmDivCode), wait: true, ct);
        return executed;
    }
}
