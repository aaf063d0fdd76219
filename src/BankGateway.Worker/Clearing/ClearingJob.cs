using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Returns;
using Microsoft.Extensions.Logging;
using Quartz;

namespace BankGateway.Worker.Clearing;

/// <summary>
/// Writes the day's QS_ clearing request per bureau at Gateway:ClearingTime (China time, default 17:00) for
/// today's business date, then delivers it. After downtime it first catches up, one clear date at a time from
/// the oldest paid voucher no QS_ lists (contract §13); a voucher completed after its day's request is listed
/// in the next one. A bureau with nothing to clear gets none; a second run writes nothing new.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ClearingJob(
    ClearingService clearing,
    GatewayClock clock,
    ChannelRegistry channels,
    Delivery.DeliveryStage delivery,
    ILogger<ClearingJob> logger) : IJob
{
    public static readonly JobKey Key = new("clearing", "clearing");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        try
        {
            await RunAsync(clock.Today, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("Clearing: stopped for shutdown");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Clearing: run failed: {Message}; run `clearing run --date` or wait for the next run", e.Message);
        }
    }

    /// <summary>How far back a catch-up goes: beyond a year an operator must run `clearing run --date` by hand.</summary>
    private const int MaxCatchUpDays = 366;

    public async Task<IReadOnlyList<ClearingService.Request>> RunAsync(DateOnly date, CancellationToken ct)
    {
        var requests = new List<ClearingService.Request>();
        if (await clearing.OldestUnclearedAsync(date.AddDays(-1), ct) is { } oldest)
        {
            var from = oldest < date.AddDays(-MaxCatchUpDays) ? date.AddDays(-MaxCatchUpDays) : oldest;
            for (var day = from; day < date; day = day.AddDays(1))
                requests.AddRange(await clearing.RunAsync(day, channels.OutboxesForJobs(logger), ct));
        }
        requests.AddRange(await clearing.RunAsync(date, channels.OutboxesForJobs(logger), ct));
        GatewayMetrics.ClearingRequests.Inc(requests.Count(r => r.New));
        foreach (var r in requests)
            logger.LogInformation("Clearing: {File}: {Count} voucher(s), {Amount} yuan{Again}", Path.GetFileName(r.Path), r.VoucherCount, r.Total,
                r.New ? "" : " (already written, unchanged)");
        if (requests.Count == 0) logger.LogInformation("Clearing: nothing paid on {Date:yyyy-MM-dd}; no request", date);
        await delivery.DeliverAsync(channels, requests.Select(r => r.AdmDivCode), wait: true, ct);
        return requests;
    }
}
