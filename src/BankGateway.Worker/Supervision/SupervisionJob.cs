using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Quartz;

namespace BankGateway.Worker.Supervision;

/// <summary>
/// Nightly (02:30 China time, <see cref="Time"/>): verifies the audit chain and records the result (the dashboard's
/// audit page and <c>bankgateway_audit_chain_holds</c> show it; a broken chain is logged as an error), then runs the
/// anomaly rules month to date — from the first of yesterday's month to yesterday — into
/// <c>Gateway:Anomalies:OutDir</c> (default <c>BANKGATEWAY_HOME/anomalies</c>).
/// </summary>
[DisallowConcurrentExecution]
internal sealed class SupervisionJob(AuditVerifier verifier, AnomalyRun anomalies, GatewayClock clock, IConfiguration configuration,
    ILogger<SupervisionJob> logger) : IJob
{
    public static readonly JobKey Key = new("supervision-nightly", "supervision");

    public const string OutDirKey = "Gateway:Anomalies:OutDir";

    /// <summary>China time of the nightly run: after midnight, so yesterday's business day is complete.</summary>
    public static readonly TimeOnly Time = new(2, 30);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        try
        {
            await RunAsync(clock.Today, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("Supervision: nightly run stopped for shutdown");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Supervision: nightly run failed: {Message}; run `audit verify` / `anomalies run` by hand", e.Message);
        }
    }

    public async Task<(AuditVerifier.Result Chain, AnomalyRun.Result Anomalies)> RunAsync(DateOnly today, CancellationToken ct)
    {
        var chain = await verifier.VerifyAsync(ct);
        await verifier.RecordAsync(chain, "nightly", ct);
        if (chain.Holds) logger.LogInformation("Supervision: audit {Message}", chain.Message);
        else logger.LogError("Supervision: ALARM audit log {Message}", chain.Message);

        var to = today.AddDays(-1);
        var from = new DateOnly(to.Year, to.Month, 1);
        string outDir = configuration[OutDirKey] is { Length: > 0 } configured ? configured : Path.Combine(GatewayHome.Resolve().Root, "anomalies");
        var found = await anomalies.RunAsync(from, to, outDir, "nightly", ct);
        return (chain, found);
    }
}
