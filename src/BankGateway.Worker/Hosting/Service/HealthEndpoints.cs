using BankGateway.Worker.Intake.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
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
        app.MapMetrics("/metrics");
    }

    /// <summary>PostgreSQL answers a query, and every channel's own check says Ready; all checked at once.</summary>
    public static async Task<Readiness> CheckAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<NpgsqlDataSource>();
        var channels = services.GetRequiredService<ChannelRegistry>();
        var checks = new List<Task<Check>> { Timed("database", async t =>
        {
            await using var connection = await db.OpenConnectionAsync(t);
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync(t);
            return new Check("database", true, "PostgreSQL answers");
        }, ct) };
        foreach (var entry in channels.All)
        {
            string name = $"channel {entry.Settings.AdmDivCode}";
            checks.Add(Timed(name, async t =>
            {
                var health = await entry.Channel.CheckAsync(t);
                return new Check(name, health.Ready, health.Detail);
            }, ct));
        }
        var results = await Task.WhenAll(checks);
        return new Readiness(results.All(c => c.Ready) ? "ready" : "not ready", results);
    }

    private static async Task<Check> Timed(string name, Func<CancellationToken, Task<Check>> check, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            return await check(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Check(name, false, $"no answer within {CheckTimeout.TotalSeconds:F0} s");
        }
        catch (Exception e)
        {
            return new Check(name, false, e.Message);
        }
    }
}
