using BankGateway.Domain;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Returns;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.Retry;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Posting;

/// <summary>Progress of one voucher's posting, reported after every committed chunk.</summary>
internal readonly record struct PostingProgress(long VoucherId, string VoucherNo, int ChunksDone, int ChunkCount, long LinesDone, long LinesTotal);

/// <summary>
/// Posts a recorded voucher in chunks, exactly once: funding, then every chunk not yet marked
/// done, then completion with its return scheduled. Resuming after a crash is the same call.
/// </summary>
internal sealed class PostingEngine(NpgsqlDataSource db, GatewayClock time, ReturnScheduler returns, ILogger<PostingEngine> logger, GatewaySettings settings,
    Notices.SmsNotices notices)
{
    private sealed record VoucherRow(
        long Id, string AdmDivCode, string VoucherNo, VoucherStatus Status, DateOnly BusinessDate, string DeptName, string SubsidyName,
        string Period, string PayAcctNo, string PayAcctName, long PayAmtFen, int DetailCount, int ChunkCount, string PaymentKey);

    public static string TransitAccount(string payAcctNo) => "TRANSIT-" + payAcctNo;

    public Task PostAsync(long voucherId, IProgress<PostingProgress>? progress, CancellationToken ct) => PostAsync(voucherId, progress, null, ct);

    /// <summary>
    /// As above; a voucher larger than Gateway:Posting:SmallVoucherLines calls <paramref name="betweenChunks"/>
    /// before each of its chunks, where the caller posts the small vouchers waiting meanwhile (D48).
    /// </summary>
    public async Task PostAsync(long voucherId, IProgress<PostingProgress>? progress, Func<CancellationToken, Task>? betweenChunks, CancellationToken ct)
    {
        var v = await LoadAsync(voucherId, ct);
        if (v.Status == VoucherStatus.Completed) return;
        if (v.Status == VoucherStatus.Held)
        {
            logger.LogInformation("Posting: voucher {VoucherNo} is held by an operator; not posted", v.VoucherNo);
            return;
        }
        string transit = TransitAccount(v.PayAcctNo);
        // F07's key was fixed at intake from the matched catalogue entry and the canonical period (PaymentKey).
        string subsidyKey = v.PaymentKey;
        await FundAsync(v, transit, ct);

        var done = await DoneChunksAsync(voucherId, ct);
        int chunkSize = (v.DetailCount + v.ChunkCount - 1) / Math.Max(v.ChunkCount, 1);
        (int First, int Last) Rows(int chunk) => ((chunk - 1) * chunkSize + 1, Math.Min(chunk * chunkSize, v.DetailCount));
        long linesDone = done.Sum(c => (long)(Rows(c).Last - Rows(c).First + 1));
        int chunksDone = done.Count;
        var pending = Enumerable.Range(1, v.ChunkCount).Where(c => !done.Contains(c)).ToList();
        // Chunks hold disjoint lines and each account is credited once per voucher, so they can commit on
        // several connections at once; the voucher row orders their final counter updates.
        var options = new ParallelOptions { MaxDegreeOfParallelism = settings.PostingConnections, CancellationToken = ct };
        var gate = new Lock();
        if (v.DetailCount <= settings.SmallVoucherLines) betweenChunks = null;
        await Parallel.ForEachAsync(pending, options, async (chunk, token) =>
        {
            if (betweenChunks is not null) await betweenChunks(token);
            var (first, last) = Rows(chunk);
            await PostChunkAsync(v, chunk, first, last, transit, subsidyKey, token);
            lock (gate)
            {
                linesDone += last - first + 1;
                progress?.Report(new PostingProgress(voucherId, v.VoucherNo, ++chunksDone, v.ChunkCount, linesDone, v.DetailCount));
            }
        });
        await CompleteAsync(v, ct);
    }

    private async Task FundAsync(VoucherRow v, string transit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(PostingSql.Fund, new
        {
            voucherId = v.Id, payAcct = v.PayAcctNo, payAcctName = v.PayAcctName, transit, amount = v.PayAmtFen,
            narrative = $"{v.DeptName}|{v.SubsidyName}|{new Money(v.PayAmtFen)}", businessDate = v.BusinessDate, now = time.UtcNow,
            posting = VoucherStatus.Posting, received = VoucherStatus.Received,
        }, tx, commandTimeout: 0, cancellationToken: ct)); // waits for the chunks holding the same transit row (no 30 s failure on a peak day)
        await tx.CommitAsync(ct);
    }

    // Two vouchers crediting the same people can deadlock on account rows; PostgreSQL aborts one, and the
    // chunk (all or nothing) simply runs again.
    private static readonly ResiliencePipeline DeadlockRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<PostgresException>(e => e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure),
            MaxRetryAttempts = 5,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(50),
        })
        .Build();

    private async Task PostChunkAsync(VoucherRow v, int chunk, int first, int last, string transit, string subsidyKey, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested(); // between chunks only: a chunk once started runs to its commit
        try
        {
            await DeadlockRetry.ExecuteAsync(async _ => await PostChunkOnceAsync(v, chunk, first, last, transit, subsidyKey), CancellationToken.None);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "posting_chunks_pkey")
        {
            logger.LogInformation("Posting: {VoucherNo} chunk {Chunk} was committed by another worker meanwhile", v.VoucherNo, chunk);
        }
    }

    private async Task PostChunkOnceAsync(VoucherRow v, int chunk, int first, int last, string transit, string subsidyKey)
    {
        try
        {
            await PostChunkOnceAsync(v, chunk, first, last, transit, subsidyKey, PostingSql.ChunkFast);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == PostingSql.OnePaymentIndex)
        {
            // Someone in the chunk was paid before (F07), or a concurrent voucher paid them first: the plain insert
            // rolled back whole, and the chunk runs again with the insert that records such lines as F07 (D57).
            logger.LogInformation("Posting: {VoucherNo} chunk {Chunk}: a line was paid before; the chunk runs again with the F07-checked insert", v.VoucherNo, chunk);
            await PostChunkOnceAsync(v, chunk, first, last, transit, subsidyKey, PostingSql.ChunkChecked);
        }
    }

    private async Task PostChunkOnceAsync(VoucherRow v, int chunk, int first, int last, string transit, string subsidyKey, string statement)
    {
        // The statement runs to its commit even if shutdown is requested meanwhile: a chunk is all or nothing.
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await using var tx = await connection.BeginTransactionAsync(CancellationToken.None);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // Another worker may reach this chunk too (it took the voucher over after a lease lapse): wait for it,
        // then skip a chunk it committed meanwhile instead of running into its keys.
        var key = new { voucherId = v.Id, chunkNo = chunk };
        await connection.ExecuteAsync(new CommandDefinition(PostingSql.ChunkLock, key, tx, commandTimeout: 0, cancellationToken: CancellationToken.None));
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(PostingSql.ChunkDone, key, tx, cancellationToken: CancellationToken.None)))
        {
            logger.LogInformation("Posting: {VoucherNo} chunk {Chunk} was committed by another worker meanwhile", v.VoucherNo, chunk);
            return;
        }
        logger.LogInformation("Posting: {VoucherNo} chunk {Chunk}/{Chunks} begins", v.VoucherNo, chunk, v.ChunkCount);
        var r = await connection.QuerySingleAsync<(int PaidCount, long PaidFen, int FailedCount, long FailedFen, int Balances, int Failures)>(
            new CommandDefinition(statement, new
            {
                voucherId = v.Id, adm = v.AdmDivCode, firstRow = first, lastRow = last, chunkNo = chunk, subsidyKey, transit,
                elements = $"{v.DeptName}|{v.SubsidyName}|", debitNarrative = $"{v.DeptName}|{v.SubsidyName}|代发 第{chunk}批",
                businessDate = v.BusinessDate, now = time.UtcNow,
            }, tx, commandTimeout: 0, cancellationToken: CancellationToken.None));
        if (r.Balances != r.PaidCount)
            throw new InvalidOperationException($"voucher {v.VoucherNo} chunk {chunk}: {r.PaidCount} credits but {r.Balances} balances updated; rolled back");
        // SMS notices (contract §16) for this chunk's credits, in the same transaction: credited exactly when notified.
        if (r.PaidCount > 0)
            await notices.CreateAsync(connection, tx, v.Id, v.AdmDivCode, v.VoucherNo, v.DeptName, v.SubsidyName, v.Period, v.BusinessDate, first, last, time.UtcNow);
        await tx.CommitAsync(CancellationToken.None);
        GatewayMetrics.PostingChunks.WithLabels(statement == PostingSql.ChunkFast ? "fast" : "checked").Inc();
        logger.LogInformation("Posting: {VoucherNo} chunk {Chunk}/{Chunks} committed, rows {First}-{Last}: paid {Paid} ({PaidAmt}), failed {Failed} in {Ms} ms",
            v.VoucherNo, chunk, v.ChunkCount, first, last, r.PaidCount, new Money(r.PaidFen), r.FailedCount,
            (int)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private async Task CompleteAsync(VoucherRow v, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var totals = await connection.QuerySingleOrDefaultAsync<(int FailedCount, long FailedFen)?>(new CommandDefinition("""
            update vouchers set status = @completed, completed_at = @now
            where id = @id and status = @posting and chunks_done = chunk_count
            returning failed_count, failed_fen
            """, new { id = v.Id, now = time.UtcNow, completed = VoucherStatus.Completed, posting = VoucherStatus.Posting }, tx, cancellationToken: ct));
        if (totals is { } t && t.FailedCount > 0)
            await returns.ScheduleAsync(connection, tx, v.Id, v.BusinessDate, t.FailedCount, t.FailedFen, ct);
        await tx.CommitAsync(ct);
        if (totals is not null) logger.LogInformation("Posting: voucher {VoucherNo} completed", v.VoucherNo);
    }

    private async Task<VoucherRow> LoadAsync(long voucherId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<VoucherRow>(new CommandDefinition("""
            select id, adm_div_code, voucher_no, status, business_date, dept_name, subsidy_name, period, pay_acct_no,
                   pay_acct_name, pay_amt_fen, detail_count, chunk_count, payment_key
            from vouchers where id = @voucherId
            """, new { voucherId }, cancellationToken: ct));
    }

    private async Task<HashSet<int>> DoneChunksAsync(long voucherId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<int>(new CommandDefinition(
            "select chunk_no from posting_chunks where voucher_id = @voucherId", new { voucherId }, cancellationToken: ct));
        return [.. rows];
    }
}
