using BankGateway.Worker.Hosting;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;

namespace BankGateway.Worker.Notices;

/// <summary>
/// SMS notice metrics on <c>GET /metrics</c>. The counters count this process's sending; pending and the oldest
/// pending age describe the shared database and are measured at each scrape (every node reports the same).
/// </summary>
internal static class SmsMetrics
{
    public static readonly Counter Sent = Metrics.CreateCounter("bankgateway_sms_sent_total",
        "SMS notices the platform acknowledged (2xx) and this process marked SENT.");

    public static readonly Counter FailedAttempts = Metrics.CreateCounter("bankgateway_sms_failed_attempts_total",
        "SMS notices sent by this process and not acknowledged (they stay pending and are retried after a back-off).");

    public static readonly Gauge Pending = Metrics.CreateGauge("bankgateway_sms_pending",
        "SMS notices waiting to be sent (no URL configured, quiet hours, back-off or simply not sent yet).");

    public static readonly Gauge OldestPendingAge = Metrics.CreateGauge("bankgateway_sms_oldest_pending_age_seconds",
        "Age of the oldest pending SMS notice (0 when none).");
}

/// <summary>In the service: reports the template and URL at start, and measures the pending gauges at each scrape.</summary>
internal sealed class SmsMetricsPublisher(NpgsqlDataSource db, GatewayClock time, SmsSettings settings, ILogger<SmsMetricsPublisher> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("{Template}; platform {Url}, at most {PerSecond}/s, quiet hours {Quiet}",
            settings.Template.Describe(), settings.Url?.ToString() ?? "not set (notices wait)", settings.PerSecond,
            settings.QuietHours is { } q ? $"{q.From:HH\\:mm}-{q.To:HH\\:mm} China time" : "none");
        SmsMetrics.Sent.Inc(0);
        SmsMetrics.FailedAttempts.Inc(0);
        Metrics.DefaultRegistry.AddBeforeCollectCallback(async ct =>
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                var (count, oldest) = await connection.QuerySingleAsync<(long Count, DateTime? Oldest)>(
                    new CommandDefinition(SmsNoticeSql.Pending, commandTimeout: 10, cancellationToken: ct));
                SmsMetrics.Pending.Set(count);
                SmsMetrics.OldestPendingAge.Set(oldest is { } o
                    ? Math.Max(0, (time.UtcNow - new DateTimeOffset(DateTime.SpecifyKind(o, DateTimeKind.Utc))).TotalSeconds) : 0);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Metrics: SMS gauges not measured: {Message}", e.Message);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
