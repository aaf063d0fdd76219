using System.Diagnostics;
using BankGateway.Domain.Codes;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Intake.Channels;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;

namespace BankGateway.Worker.Intake;

/// <summary>
/// One poll of one channel, every PollSeconds (one Quartz job per channel, never two at once in the cluster):
/// fetch complete sets into the local inbox, run the pipeline over it with today's China business date,
/// mark the sets taken at the source, then deliver the answers. A failure is logged with the channel and
/// counted; it never stops the service, and the next poll simply tries again.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ChannelPollJob(
    ChannelRegistry channels,
    LocalPipeline pipeline,
    ChannelLock locks,
    ChannelCircuits circuits,
    GatewayClock clock,
    NpgsqlDataSource db,
    ILogger<ChannelPollJob> logger) : IJob
{
    public const string Group = "intake";
    public const string AdmDivCodeKey = "AdmDivCode";

    public static JobKey KeyFor(string admDivCode) => new($"poll-{admDivCode}", Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        string adm = context.MergedJobDataMap.GetString(AdmDivCodeKey) ?? "";
        await PollAsync(adm, ct);
    }

    /// <summary>One poll; returns what the pass did, or null when it did not run (unknown channel, circuit open, lock held).</summary>
    public async Task<RunReport?> PollAsync(string admDivCode, CancellationToken ct)
    {
        if (channels.Find(admDivCode) is not { } entry)
        {
            // Nodes of one cluster must share one channel configuration; this one was started with another.
            logger.LogWarning("Intake: poll for channel {Adm}, which this node does not have configured; skipped", admDivCode);
            return null;
        }
        if (circuits.ShouldSkip(admDivCode)) return null;

        var started = Stopwatch.StartNew();
        try
        {
            await using var held = await locks.TryAcquireAsync(admDivCode, ct);
            if (held is null)
            {
                logger.LogDebug("Intake: channel {Adm} is being polled by another worker", admDivCode);
                return null;
            }
            var channel = entry.Channel;
            await channel.FetchAsync(ct);
            var report = await pipeline.RunOnceAsync(channel.LocalInbox,
                adm => adm == admDivCode ? channel.LocalOutbox : null,
                adm => adm == admDivCode ? entry.FinanceKey : null,
                clock.Today, null, new LocalPipeline.PassOptions(WaitForClaimsHeldElsewhere: false, AnswerOnly: admDivCode, RequireStableFiles: channel is LocalChannel), ct);
            await channel.AcknowledgeTakenAsync(ct);
            await channel.DeliverAsync(ct);
            circuits.Succeeded(admDivCode);
            await CountAsync(admDivCode, report, started.Elapsed, ct);
            foreach (var problem in report.Problems) logger.LogWarning("Intake: channel {Adm}: {Problem}", admDivCode, problem);
            if (report.Intake.Count > 0 || report.Posted.Count > 0 || report.Answered.Count > 0)
                logger.LogInformation("Intake: channel {Adm} polled: {Taken} set(s) taken, {Posted} voucher(s) posted, {Answered} answered in {Ms} ms",
                    admDivCode, report.Intake.Count, report.Posted.Count, report.Answered.Count, started.ElapsedMilliseconds);
            return report;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("Intake: poll of channel {Adm} stopped for shutdown; the next run resumes where it stopped", admDivCode);
            return null;
        }
        catch (Exception e) when (Database.DatabaseFaults.IsTransient(e))
        {
            // The database, not the bureau: the channel's circuit stays closed, so polling resumes as soon as a primary answers.
            logger.LogWarning("Intake: poll of channel {Adm} stopped, the database is unavailable ({Message}); the next poll resumes where it stopped",
                admDivCode, e.Message);
            return null;
        }
        catch (Exception e)
        {
            bool opened = circuits.Failed(admDivCode);
            logger.LogError(e, "Intake: poll of channel {Adm} failed: {Message}{Circuit}", admDivCode, e.Message,
                opened ? "; polls of this channel pause before the next try" : "");
            return null;
        }
    }

    private async Task CountAsync(string adm, RunReport report, TimeSpan elapsed, CancellationToken ct)
    {
        GatewayMetrics.SetsTaken.WithLabels(adm).Inc(report.Intake.Count);
        foreach (var outcome in report.Intake)
        {
            GatewayMetrics.Vouchers.WithLabels(adm, outcome.Kind.ToString().ToLowerInvariant()).Inc();
            if (outcome.Code != RejectCode.None) GatewayMetrics.Failures.WithLabels(outcome.Code.ToString()).Inc();
        }
        GatewayMetrics.Vouchers.WithLabels(adm, "answered").Inc(report.Answered.Count);
        if (report.Posted.Count == 0) return;

        var ids = report.Posted.ToArray();
        await using var connection = await db.OpenConnectionAsync(ct);
        var (paid, failed) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            "select coalesce(sum(paid_count), 0)::bigint, coalesce(sum(failed_count), 0)::bigint from vouchers where id = any(@ids)",
            new { ids }, cancellationToken: ct));
        GatewayMetrics.LinesPosted.WithLabels("paid").Inc(paid);
        GatewayMetrics.LinesPosted.WithLabels("failed").Inc(failed);
        if (elapsed > TimeSpan.Zero) GatewayMetrics.LinesPerSecond.Set((paid + failed) / elapsed.TotalSeconds);
        foreach (var (code, count) in await connection.QueryAsync<(short, long)>(new CommandDefinition(
            "select code, count(*) from line_failures where voucher_id = any(@ids) group by code", new { ids }, cancellationToken: ct)))
            GatewayMetrics.Failures.WithLabels(((FailureCode)code).ToString()).Inc(count);
    }
}
