using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Results;

/// <summary>
/// The results stage: answers every COMPLETED voucher that has no HD_ yet (RS_ then HD_) and every rejected
/// delivery that has no RJ_ yet, from the database alone. Producing a file records its bytes and queues its
/// delivery in one transaction; the delivery stage ships it. A voucher whose answer fails for a reason of its own
/// is quarantined; the others are answered. Small vouchers are answered first (D48).
/// </summary>
internal sealed class ResultsStage(
    NpgsqlDataSource db,
    VoucherResults results,
    RejectionResults rejections,
    Containment.Quarantine quarantine,
    Hosting.GatewaySettings settings,
    ILogger<ResultsStage> logger)
{
    /// <summary>What one pass answered and held.</summary>
    public sealed record Answered(IReadOnlyList<long> Vouchers, IReadOnlyList<long> Rejections, IReadOnlyList<string> Quarantined);

    /// <param name="onlyAdm">One bureau's work (the channel being polled), or null for all.</param>
    /// <param name="outboxFor">Where the local copies go; a bureau without one here is left for a node that has it.</param>
    public async Task<Answered> RunAsync(string? onlyAdm, Func<string, string?> outboxFor, CancellationToken ct)
    {
        var vouchers = new List<long>();
        var rejected = new List<long>();
        var held = new List<string>();
        // One node answers a given voucher at a time (its local copies are written under one temporary name).
        await using var locks = await db.OpenConnectionAsync(ct);
        foreach (var (deliveryId, adm) in await UnansweredRejectionsAsync(onlyAdm, ct))
        {
            if (outboxFor(adm) is not { } outbox) continue;
            await using var answering = await AnsweringAsync(locks, $"delivery:{deliveryId}", ct);
            if (answering is null) continue;
            await rejections.WriteAsync(deliveryId, outbox, ct);
            rejected.Add(deliveryId);
        }
        // Small vouchers first (D48), and the list read again after each answer: a 10-line voucher completed while
        // a million-line RS_ was being written is answered next, not after the rest of the pass. A pass answers at
        // most what was waiting when it began, so the delivery that follows it is never put off by new completions.
        var passed = new HashSet<long>();
        int budget = await UnansweredCountAsync(onlyAdm, ct);
        while (budget-- > 0 && await NextUnansweredAsync(onlyAdm, passed, ct) is var (voucherId, adm) && voucherId != 0)
        {
            passed.Add(voucherId);
            if (outboxFor(adm) is not { } outbox) continue;
            await using var answering = await AnsweringAsync(locks, $"voucher:{voucherId}", ct);
            if (answering is null) continue;
            try
            {
                await results.WriteAsync(voucherId, outbox, ct);
                vouchers.Add(voucherId);
                Hosting.Service.GatewayMetrics.Vouchers.WithLabels(adm, "answered").Inc();
            }
            catch (Exception e) when (Containment.Quarantine.IsFaultOfTheWork(e, ct))
            {
                await quarantine.HoldAnswerAsync(voucherId, e, ct);
                held.Add($"answer to voucher {voucherId}: quarantined: {e.Message}");
            }
        }
        if (vouchers.Count + rejected.Count > 0)
            logger.LogInformation("Results: answered {Vouchers} voucher(s) and {Rejections} rejected delivery(ies)", vouchers.Count, rejected.Count);
        return new Answered(vouchers, rejected, held);
    }

    /// <summary>A session advisory lock on what is being answered, or null when another worker is answering it.</summary>
    private static async Task<IAsyncDisposable?> AnsweringAsync(NpgsqlConnection connection, string subject, CancellationToken ct)
    {
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_lock(hashtextextended(@subject, 7))", new { subject }, cancellationToken: ct)))
            return null;
        return new Unlock(connection, subject);
    }

    private sealed class Unlock(NpgsqlConnection connection, string subject) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() =>
            await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_advisory_unlock(hashtextextended(@subject, 7))", new { subject }));
    }

    private const string Unanswered = """
        v.status = 'COMPLETED' and (@onlyAdm::text is null or v.adm_div_code = @onlyAdm)
          and not exists (select 1 from outbound_files o where o.file_name = 'HD_' || v.adm_div_code || '_' || v.voucher_no || '.xml')
          and not exists (select 1 from quarantine q where q.kind = 'ANSWER' and q.voucher_id = v.id and q.released_at is null)
        """;

    private async Task<int> UnansweredCountAsync(string? onlyAdm, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"select count(*)::int from vouchers v where {Unanswered}", new { onlyAdm }, cancellationToken: ct));
    }

    /// <summary>The next voucher to answer, skipping <paramref name="passed"/> (this pass's own); (0, "") when none.</summary>
    private async Task<(long Id, string AdmDivCode)> NextUnansweredAsync(string? onlyAdm, HashSet<long> passed, CancellationToken ct)
    {
        long[] skip = [.. passed];
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<(long, string)>(new CommandDefinition($"""
            select v.id, v.adm_div_code from vouchers v
            where {Unanswered} and v.id <> all(@skip)
            order by v.detail_count > @small, v.completed_at, v.id
            limit 1
            """, new { onlyAdm, skip, small = settings.SmallVoucherLines }, cancellationToken: ct));
    }

    private async Task<List<(long Id, string AdmDivCode)>> UnansweredRejectionsAsync(string? onlyAdm, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<(long, string)>(new CommandDefinition("""
            select d.id, d.adm_div_code from deliveries d
            where d.outcome = 'REJECTED' and (@onlyAdm::text is null or d.adm_div_code = @onlyAdm)
              -- answered, or its notice's name since taken by a later rejection of the same voucher number
              and not exists (select 1 from outbound_files o where o.file_name = 'RJ_' || d.adm_div_code || '_' || d.voucher_no || '.xml'
                              and o.source like 'delivery:%' and substr(o.source, 10)::bigint >= d.id)
            order by d.id
            """, new { onlyAdm }, cancellationToken: ct))).ToList();
    }
}
