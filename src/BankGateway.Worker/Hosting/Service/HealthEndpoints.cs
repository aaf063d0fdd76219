using System.Diagnostics;
using System.Runtime.CompilerServices;
using BankGateway.Worker.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Prometheus;
using HttpResults = Microsoft.AspNetCore.Http.Results;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// The endpoints operators and load balancers use without a login (contract §11): liveness, readiness
/// (PostgreSQL and every channel), and Prometheus metrics.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    /// <summary>One line of the readiness answer.</summary>
    public sealed record Check(string Name, bool Ready, string Detail);

    /// <summary>The readiness answer: ready only when every check is.</summary>
    public sealed record Readiness(string Status, IReadOnlyList<Check> Checks);

    public static void MapHealthAndMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => HttpResults.Text("live\n", "text/plain"));
        app.MapGet("/health/ready", async (HttpContext http) =>
        {
            var readiness = await CheckAsync(http.RequestServices, http.RequestAborted);
            return HttpResults.Json(readiness, statusCode: readiness.Status == "ready" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        GatewayMetrics.ConfigureRuntimeMeters();
        app.MapMetrics("/metrics");
    }

    /// <summary>How long a channel's probe result is reused: a load balancer polling every second opens at most one SSH connection per channel per this time.</summary>
    internal static readonly TimeSpan ProbeCacheTime = TimeSpan.FromSeconds(15);

    private sealed class Probe
    {
        public Task<bool>? Task;
        public long CompletedAt;
    }

    private static readonly ConditionalWeakTable<IVoucherChannel, Probe> Probes = new();

    /// <summary>
    /// PostgreSQL answers a query, and every channel's own check says Ready; all checked at once. An SFTP channel's
    /// probe (an SSH connection) is shared by concurrent requests (single flight) and its result reused for
    /// <see cref="ProbeCacheTime"/>; a local channel's folder check is cheap and runs on every request.
    /// The answer says only ok or failing per check: why a check fails (exception text, paths, host names) goes to
    /// the log, never to this anonymous endpoint.
    /// </summary>
    public static async Task<Readiness> CheckAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<NpgsqlDataSource>();
        var channels = services.GetRequiredService<ChannelRegistry>();
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("BankGateway.Health") ?? NullLogger.Instance;
        var checks = new List<Task<Check>> { Timed("database", async t =>
        {
            await using var connection = await db.OpenConnectionAsync(t);
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync(t);
            return true;
        }, logger, ct) };
        foreach (var entry in channels.All)
        {
            string name = $"channel {entry.Settings.AdmDivCode}";
            // A local channel's check only touches its folders: run it every time, so an unmounted share shows at once.
            checks.Add(entry.Settings.IsLocal
                ? Timed(name, async t => await ProbeOnceAsync(name, entry.Channel, logger, t), logger, ct)
                : Timed(name, t => SharedProbe(name, entry.Channel, logger).WaitAsync(t), logger, ct));
        }
        var results = await Task.WhenAll(checks);
        return new Readiness(results.All(c => c.Ready) ? "ready" : "not ready", results);
    }

    private static Task<bool> SharedProbe(string name, IVoucherChannel channel, ILogger logger)
    {
        var probe = Probes.GetValue(channel, _ => new Probe());
        lock (probe)
        {
            if (probe.Task is { } running && (!running.IsCompleted || Stopwatch.GetElapsedTime(probe.CompletedAt) < ProbeCacheTime))
                return running;
            probe.Task = RunProbeAsync(name, channel, probe, logger);
            return probe.Task;
        }
    }

    // Runs on its own timeout, not the request's: a client hanging up must not cancel the probe others wait for.
    private static async Task<bool> RunProbeAsync(string name, IVoucherChannel channel, Probe probe, ILogger logger)
    {
        await Task.Yield();
        bool ready = await ProbeOnceAsync(name, channel, logger, CancellationToken.None);
        lock (probe) probe.CompletedAt = Stopwatch.GetTimestamp();
        return ready;
    }

    // The channel's own check, on at most CheckTimeout; why it fails goes to the log only.
    private static async Task<bool> ProbeOnceAsync(string name, IVoucherChannel channel, ILogger logger, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            var health = await channel.CheckAsync(timeout.Token);
            if (!health.Ready) logger.LogWarning("Readiness: {Check} failing: {Detail}", name, health.Detail);
            return health.Ready;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Readiness: {Check} failing: {Error}", name, timeout.IsCancellationRequested ? $"no answer within {CheckTimeout.TotalSeconds:F0} s" : e.Message);
            return false;
        }
    }

    private static async Task<Check> Timed(string name, Func<CancellationToken, Task<bool>> check, ILogger logger, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            bool ready = await check(timeout.Token);
            return new Check(name, ready, ready ? "ok" : "failing");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Readiness: {Check} gave no answer within {Seconds} s", name, CheckTimeout.TotalSeconds);
            return new Check(name, false, "failing");
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Readiness: {Check} failing: {Error}", name, e.Message);
            return new Check(name, false, "failing");
        }
    }
}
