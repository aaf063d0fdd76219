using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Posting;
using BankGateway.Worker.Results;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Intake;

/// <summary>
/// One pass of the whole pipeline over a local inbox (the <c>run-once</c> command, demos and tests):
/// take every complete set, post everything recorded and not yet completed (also what an earlier,
/// interrupted run left), then answer every completed voucher that has no receipt yet.
/// </summary>
internal sealed class LocalPipeline(
    VoucherIntake intake,
    PostingQueue posting,
    VoucherResults results,
    NpgsqlDataSource db,
    GatewaySettings settings,
    GatewayClock clock,
    Containment.Quarantine quarantine,
    ILogger<LocalPipeline> logger)
{
    public Task<RunReport> RunOnceAsync(string inbox, string outbox, Func<string, Sm2PublicKey?> financeKeyFor, DateOnly businessDate,
        IProgress<PostingProgress>? progress, CancellationToken ct) =>
        RunOnceAsync(inbox, _ => outbox, financeKeyFor, businessDate, progress, new PassOptions(), ct);

    /// <summary>
    /// How a pass behaves when it is one of several workers (the service): WaitForClaimsHeldElsewhere
    /// false leaves vouchers another live worker is posting to that worker instead of waiting for them, and AnswerOnly
    /// restricts the answers written to one bureau's vouchers (the channel being polled,
    /// whose lock the caller holds), so two workers never write the same answer file at once.
    /// </summary>
    /// RequireStableFiles takes a file only once its size and time are unchanged since the previous poll (a
    /// polled local inbox, where a bureau may still be writing).
    /// LargeVouchersPerPass bounds the large vouchers one pass posts (D47), so a service poll gets back to answering.
    internal sealed record PassOptions(bool WaitForClaimsHeldElsewhere = true, string? AnswerOnly = null, bool RequireStableFiles = false, int? LargeVouchersPerPass = null);

    /// <summary>One pass writing each bureau's answers to the outbox <paramref name="outboxFor"/> names (null: not answered here).</summary>
    public async Task<RunReport> RunOnceAsync(string inbox, Func<string, string?> outboxFor, Func<string, Sm2PublicKey?> financeKeyFor, DateOnly businessDate,
        IProgress<PostingProgress>? progress, PassOptions options, CancellationToken ct)
    {
        var report = new RunReport(businessDate);
        var box = new LocalInbox(inbox, logger, TimeSpan.FromMinutes(settings.IncompleteSetAlarmMinutes), clock.Provider, options.RequireStableFiles);
        foreach (var set in box.FindCompleteSets())
        {
            var key = financeKeyFor(set.AdmDivCode);
            if (key is null)
            {
                report.Problems.Add($"{set.VoucherFileName}: no finance public key for bureau {set.AdmDivCode} (pass --finance-pub or configure Gateway:Channels); left in the inbox");
                continue;
            }
            if (outboxFor(set.AdmDivCode) is not { } outbox)
            {
                report.Problems.Add($"{set.VoucherFileName}: no outbox for bureau {set.AdmDivCode}; left in the inbox");
                continue;
            }
            if (!box.IsUnchanged(set))
            {
                logger.LogInformation("Intake waits: {Voucher} changed while being listed; taken on a later pass", set.VoucherFileName);
                continue;
            }
            // Contract §12: a set that fails for any reason of its own is held, and the pass goes on.
            string setKey = await Containment.Quarantine.SetKeyAsync(set, ct);
            if (await quarantine.IsSetHeldAsync(setKey, ct))
            {
                report.Quarantined.Add($"{set.VoucherFileName}: held in quarantine (release it on the dashboard to take it again)");
                continue;
            }
            try
            {
                var outcome = await intake.TakeAsync(set, key, businessDate, outbox, ct);
                box.MoveToProcessed(set);
                report.Intake.Add(outcome);
            }
            catch (Exception e) when (Containment.Quarantine.IsFaultOfTheWork(e, ct))
            {
                await quarantine.HoldSetAsync(set, setKey, e, ct);
                report.Quarantined.Add($"{set.VoucherFileName}: quarantined: {e.Message}");
            }
        }

        // Answers first too: what other workers completed since the last pass does not wait for this pass's posting.
        await AnswerAsync(outboxFor, options.AnswerOnly, report, ct);
        var posted = await posting.PostPendingAsync(progress, options.WaitForClaimsHeldElsewhere, ct, options.LargeVouchersPerPass);
        report.Posted.AddRange(posted.Posted);
        report.Quarantined.AddRange(posted.Quarantined);
        await AnswerAsync(outboxFor, options.AnswerOnly, report, ct);
        return report;
    }

    private async Task AnswerAsync(Func<string, string?> outboxFor, string? onlyAdm, RunReport report, CancellationToken ct)
    {
        foreach (var (voucherId, adm) in await UnansweredAsync(onlyAdm, ct))
        {
            if (outboxFor(adm) is not { } outbox) continue;
            try
            {
                await results.WriteAsync(voucherId, outbox, ct);
                report.Answered.Add(voucherId);
            }
            catch (Exception e) when (Containment.Quarantine.IsFaultOfTheWork(e, ct))
            {
                await quarantine.HoldAnswerAsync(voucherId, e, ct);
                report.Quarantined.Add($"answer to voucher {voucherId}: quarantined: {e.Message}");
            }
        }
    }

    private async Task<List<(long Id, string AdmDivCode)>> UnansweredAsync(string? onlyAdm, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(long, string)>(new CommandDefinition("""
            select v.id, v.adm_div_code from vouchers v
            where v.status = 'COMPLETED' and (@onlyAdm::text is null or v.adm_div_code = @onlyAdm)
              and not exists (select 1 from outbound_files o where o.file_name = 'HD_' || v.adm_div_code || '_' || v.voucher_no || '.xml')
              and not exists (select 1 from quarantine q where q.kind = 'ANSWER' and q.voucher_id = v.id and q.released_at is null)
            order by v.completed_at, v.id
            """, new { onlyAdm }, cancellationToken: ct))).ToList();
    }
}

/// <summary>What one pass did, for the command's summary screen.</summary>
internal sealed class RunReport(DateOnly businessDate)
{
    public DateOnly BusinessDate { get; } = businessDate;
    public List<IntakeOutcome> Intake { get; } = [];
    public List<long> Posted { get; } = [];
    public List<long> Answered { get; } = [];
    public List<string> Problems { get; } = [];

    /// <summary>Sets, vouchers and answers held in quarantine by this pass or still held from an earlier one.</summary>
    public List<string> Quarantined { get; } = [];
}
