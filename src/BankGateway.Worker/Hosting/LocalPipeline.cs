using BankGateway.Files.Signing;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Delivery;
using BankGateway.Worker.Intake;
using BankGateway.Worker.Posting;
using BankGateway.Worker.Results;

namespace BankGateway.Worker.Hosting;

/// <summary>
/// One pass of every stage, once, in order, over local folders (the <c>run-once</c> command, demos and tests):
/// intake takes every complete set in the inbox; posting posts everything recorded and not yet completed (also what
/// an interrupted run left); results answers what has no answer; delivery puts every pending file in the bureau's
/// outbox folder. Each stage reads its work from the database, so a pass finishes whatever an earlier one left.
/// </summary>
internal sealed class LocalPipeline(IntakeStage intake, PostingStage posting, ResultsStage results, DeliveryStage delivery, Npgsql.NpgsqlDataSource db)
{
    public Task<RunReport> RunOnceAsync(string inbox, string outbox, Func<string, Sm2PublicKey?> financeKeyFor, DateOnly businessDate,
        IProgress<PostingProgress>? progress, CancellationToken ct) =>
        RunOnceAsync(inbox, _ => outbox, financeKeyFor, businessDate, progress, ct);

    /// <summary>One pass writing each bureau's answers to the outbox <paramref name="outboxFor"/> names (null: not answered here).</summary>
    public async Task<RunReport> RunOnceAsync(string inbox, Func<string, string?> outboxFor, Func<string, Sm2PublicKey?> financeKeyFor, DateOnly businessDate,
        IProgress<PostingProgress>? progress, CancellationToken ct)
    {
        var report = new RunReport(businessDate);
        await intake.RunAsync(inbox, financeKeyFor, businessDate, requireStableFiles: false, report, ct);
        report.Add(await posting.RunAsync(progress, waitForOthers: true, ct));
        var answered = await results.RunAsync(null, outboxFor, ct);
        report.Add(answered);
        foreach (var adm in await DeliveryQueue.BureausWithPendingAsync(db, ct))
        {
            if (outboxFor(adm) is { } outbox) await delivery.DeliverHeldAsync(new LocalChannel(adm, inbox, outbox), ct);
        }
        return report;
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

    public void Add(PostingStage.Posted posted)
    {
        Posted.AddRange(posted.Vouchers);
        Quarantined.AddRange(posted.Quarantined);
    }

    public void Add(ResultsStage.Answered answered)
    {
        Answered.AddRange(answered.Vouchers);
        Quarantined.AddRange(answered.Quarantined);
    }
}
