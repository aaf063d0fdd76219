using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Posting;

/// <summary>
/// The posting stage: claims every RECEIVED or POSTING voucher (also one an interrupted worker left) and posts it,
/// one claim at a time across all nodes (<see cref="VoucherClaims"/>). A voucher that fails for a reason of its own
/// is quarantined with its whole chunks committed; the others are posted.
/// </summary>
internal sealed class PostingStage(NpgsqlDataSource db, PostingEngine posting, Containment.Quarantine quarantine, ILogger<PostingStage> logger)
{
    /// <summary>What one pass posted and held.</summary>
    public sealed record Posted(IReadOnlyList<long> Vouchers, IReadOnlyList<string> Quarantined);

    /// <param name="waitForOthers">
    /// True (run-once): also wait for vouchers another live worker holds, so the pass ends with everything posted.
    /// False (the service): leave them to that worker.
    /// </param>
    public async Task<Posted> RunAsync(IProgress<PostingProgress>? progress, bool waitForOthers, CancellationToken ct)
    {
        var posted = new List<long>();
        var held = new List<string>();
        await using var claims = new VoucherClaims(db);
        // A worker that just died may still look alive until its server session notices (a few seconds).
        var waited = System.Diagnostics.Stopwatch.StartNew(); // real time: the business clock may be a test's frozen one
        while (!ct.IsCancellationRequested)
        {
            if (await claims.ClaimNextAsync(ct) is not { } voucherId)
            {
                if (!waitForOthers || await claims.HeldElsewhereAsync(ct) == 0 || waited.Elapsed > TimeSpan.FromSeconds(30)) break;
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                continue;
            }
            try
            {
                await posting.PostAsync(voucherId, progress, ct);
                posted.Add(voucherId);
            }
            catch (Exception e) when (Containment.Quarantine.IsFaultOfTheWork(e, ct))
            {
                // Whole chunks stay committed; the rest waits, held, while every other voucher is posted.
                await quarantine.HoldVoucherAsync(voucherId, e, ct);
                held.Add($"voucher {voucherId}: quarantined while posting: {e.Message}");
            }
            finally
            {
                await claims.ReleaseAsync(voucherId, CancellationToken.None);
            }
        }
        if (posted.Count > 0) logger.LogDebug("Posting: {Count} voucher(s) posted", posted.Count);
        return new Posted(posted, held);
    }
}
