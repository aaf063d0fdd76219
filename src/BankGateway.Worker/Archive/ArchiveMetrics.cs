using Microsoft.Extensions.Logging;
using Prometheus;

namespace BankGateway.Worker.Archive;

/// <summary>Archive alarms on <c>GET /metrics</c>.</summary>
internal static class ArchiveMetrics
{
    public static readonly Counter KeepFailures = Metrics.CreateCounter("bankgateway_archive_keep_failures_total",
        "Inbound or outbound files this process could not copy into the archive (disk full, permissions): an alarm.");

    public static readonly Gauge VerifyFailures = Metrics.CreateGauge("bankgateway_archive_verify_failures",
        "Kept files (not purged) that the last archive verification found missing or changed; measured in the database at each scrape.");

    /// <summary>Measures <see cref="VerifyFailures"/> at each scrape; a failed measurement leaves the last value.</summary>
    public static void MeasureAtScrape(ArchiveStore store, ILogger logger)
    {
        KeepFailures.Inc(0);
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            try
            {
                VerifyFailures.Set(await store.FailingAsync(ct));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Metrics: archive gauge not measured: {Message}", e.Message);
            }
        });
    }
}
