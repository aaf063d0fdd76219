using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Intake.Channels;
using BankGateway.Worker.Returns;
using Microsoft.Extensions.Logging;
using Quartz;

namespace BankGateway.Worker.Clearing;

/// <summary>
/// Writes the day's QS_ clearing request per bureau at Gateway:ClearingTime (China time, default 17:00) for
/// today's business date, then delivers it. A bureau with nothing paid that day gets none; a second run writes
/// nothing new (and logs loudly if vouchers completed after the request was sent).
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ClearingJob(
    ClearingService clearing,
    GatewayClock clock,
    ChannelRegistry channels,
    ChannelLock locks,
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

    public async Task<IReadOnlyList<ClearingService.Request>> RunAsync(DateOnly date, CancellationToken ct)
    {
        var requests = await clearing.RunAsync(date, channels.OutboxesForJobs(logger), ct);
        GatewayMetrics.ClearingRequests.Inc(requests.Count(r => r.New));
        foreach (var r in requests)
            logger.LogInformation("Clearing: {File}: {Count} voucher(s), {Amount} yuan{Again}", Path.GetFileName(r.Path), r.VoucherCount, r.Total,
                r.New ? "" : " (already written, unchanged)");
        if (requests.Count == 0) logger.LogInformation("Clearing: nothing paid on {Date:yyyy-MM-dd}; no request", date);
        await ReturnsJob.DeliverAsync(requests.Select(r => r.AdmDivCode), channels, locks, logger, ct);
        return requests;
    }
}
