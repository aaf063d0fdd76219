using BankGateway.Worker.Hosting;
using Npgsql;

namespace BankGateway.Worker.Posting;

/// <summary>
/// The posting stage: posts every RECEIVED or POSTING voucher (also one an interrupted worker left), one claim at a
/// time across all nodes (<see cref="VoucherClaims"/>), in the order of D48: small vouchers
/// before large ones, oldest first within each; while a large voucher posts, the small vouchers
/// recorded meanwhile are posted between its chunks, so a 10-line voucher never waits for a
/// million-line one. A voucher that fails for a reason of its own is quarantined and the rest go on.
/// </summary>
internal sealed class PostingStage(NpgsqlDataSource db, PostingEngine engine, Containment.Quarantine quarantine, GatewaySettings settings)
{
    /// <summary>What a pass posted and what it held in quarantine.</summary>
    internal sealed record Posted(List<long> Vouchers, List<string> Quarantined);

    /// <param name="waitForOthers">Wait (up to 30 s) for vouchers another live worker holds, rather than leave them to it.</param>
    /// <param name="largeBudget">At most this many large vouchers in this call (null: all), so that a service poll
    /// returns to answer its bureau instead of draining every bureau's queue first; small ones are never limited.</param>
    public async Task<Posted> RunAsync(IProgress<PostingProgress>? progress, bool waitForOthers, CancellationToken ct, int? largeBudget = null)
    {
        var outcome = new Posted([], []);
        await using var claims = new VoucherClaims(db, settings.SmallVoucherLines);
        // One connection serves the small vouchers while the others go on with the large voucher's chunks.
        using var servingSmall = new SemaphoreSlim(1, 1);
        async Task ServeSmallAsync(CancellationToken token)
        {
            if (!await servingSmall.WaitAsync(0, token)) return;
            try
            {
                while (await claims.ClaimNextAsync(token, smallOnly: true) is { } small)
                    await PostOneAsync(claims, small, null, null, outcome, token);
            }
            finally
            {
                servingSmall.Release();
            }
        }

        // A worker that just died may still look alive until its server session notices (a few seconds).
        var waited = System.Diagnostics.Stopwatch.StartNew(); // real time: the business clock may be a test's frozen one
        int large = 0;
        while (!ct.IsCancellationRequested)
        {
            if (await claims.ClaimAsync(ct, smallOnly: large >= largeBudget) is not { } claim)
            {
                if (!waitForOthers || await claims.HeldElsewhereAsync(ct) == 0 || waited.Elapsed > TimeSpan.FromSeconds(30)) break;
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                continue;
            }
            if (!claim.Small) large++;
            await PostOneAsync(claims, claim.Id, progress, ServeSmallAsync, outcome, ct);
        }
        return outcome;
    }

    private async Task PostOneAsync(VoucherClaims claims, long voucherId, IProgress<PostingProgress>? progress,
        Func<CancellationToken, Task>? betweenChunks, Posted outcome, CancellationToken ct)
    {
        try
        {
            await engine.PostAsync(voucherId, progress, betweenChunks, ct);
            lock (outcome) outcome.Vouchers.Add(voucherId);
        }
        catch (Exception e) when (Containment.Quarantine.IsFaultOfTheWork(e, ct))
        {
            // Whole chunks stay committed; the rest waits, held, while every other voucher is posted.
            await quarantine.HoldVoucherAsync(voucherId, e, ct);
            lock (outcome) outcome.Quarantined.Add($"voucher {voucherId}: quarantined while posting: {e.Message}");
        }
        finally
        {
            await claims.ReleaseAsync(voucherId, CancellationToken.None);
        }
    }
}
