using System.Diagnostics;
using BankGateway.Domain.Codes;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using Microsoft.Extensions.Logging;

namespace BankGateway.Worker.Intake;

/// <summary>
/// One poll of one channel, under the channel's lock (a PostgreSQL advisory lock, so one node at a time in the
/// cluster): intake (fetch complete sets, take them with today's China business date, mark them taken at the
/// source). <see cref="ChannelPoller"/> runs it every PollSeconds on every node. Posting, results and delivery run
/// beside it on every node (<see cref="Hosting.Service.StageWorker"/>), reading their work from the database. A
/// failure is logged with the channel and counted; it never stops the service, and the next poll simply tries again.
/// </summary>
internal sealed class ChannelPoll(
    ChannelRegistry channels,
    IntakeStage intake,
    ChannelLock locks,
    ChannelCircuits circuits,
    GatewayClock clock,
    ILogger<ChannelPoll> logger)
{
    /// <summary>One poll of a configured channel; returns what the pass did, or null when it did not run (circuit open, lock held).</summary>
    public async Task<RunReport?> PollAsync(string admDivCode, CancellationToken ct)
    {
        // ChannelPoller polls exactly the channels this registry was built from.
        var entry = channels.Find(admDivCode) ?? throw new ArgumentException($"channel {admDivCode} is not configured on this node", nameof(admDivCode));
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
            var report = new RunReport(clock.Today);
            await channel.FetchAsync(ct);
            await intake.RunAsync(channel.LocalInbox, adm => adm == admDivCode ? entry.FinanceKey : null, clock.Today,
                requireStableFiles: channel is LocalChannel, report, ct);
            await channel.AcknowledgeTakenAsync(ct);
            circuits.Succeeded(admDivCode);
            Count(admDivCode, report);
            foreach (var problem in report.Problems) logger.LogWarning("Intake: channel {Adm}: {Problem}", admDivCode, problem);
            if (report.Intake.Count > 0)
                logger.LogInformation("Intake: channel {Adm} polled: {Taken} set(s) taken in {Ms} ms", admDivCode, report.Intake.Count, started.ElapsedMilliseconds);
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

    private static void Count(string adm, RunReport report)
    {
        GatewayMetrics.SetsTaken.WithLabels(adm).Inc(report.Intake.Count);
        foreach (var outcome in report.Intake)
        {
            GatewayMetrics.Vouchers.WithLabels(adm, outcome.Kind.ToString().ToLowerInvariant()).Inc();
            if (outcome.Code != RejectCode.None) GatewayMetrics.Failures.WithLabels(outcome.Code.ToString()).Inc();
        }
    }
}
