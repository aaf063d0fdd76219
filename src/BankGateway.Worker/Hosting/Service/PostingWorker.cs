using BankGateway.Domain.Codes;
using BankGateway.Worker.Posting;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>The posting stage on this node: claims and posts whatever voucher is waiting, then counts it for the metrics.</summary>
internal sealed class PostingWorker(PostingStage posting, NpgsqlDataSource db, ILogger<PostingWorker> logger) : StageWorker(logger)
{
    protected override async Task<bool> RoundAsync(CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var posted = await posting.RunAsync(null, waitForOthers: false, ct);
        foreach (var held in posted.Quarantined) logger.LogError("ALARM posting: {Held}", held);
        if (posted.Vouchers.Count > 0) await CountAsync(posted.Vouchers, started.Elapsed, ct);
        return posted.Vouchers.Count > 0;
    }

    private async Task CountAsync(IReadOnlyList<long> vouchers, TimeSpan elapsed, CancellationToken ct)
    {
        var ids = vouchers.ToArray();
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
