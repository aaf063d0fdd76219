using BankGateway.Domain;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Clearing;

/// <summary>
/// The clearing request (申请划款凭证, QS_) per finance bureau and clear date, complete per contract §13: a
/// request for date D lists every completed voucher with money paid, business date ≤ D, that no earlier QS_
/// lists. Which request lists a voucher is recorded in <c>clearing_lines</c> (its key makes "exactly one QS_"
/// a constraint) in the same transaction that records the request, before the file is written; the file is
/// then produced from those rows, so a re-run or a crash re-creates the same bytes. A written QS_ is never
/// rewritten: a voucher completed after it waits for the next date's request.
/// </summary>
internal sealed class ClearingService(NpgsqlDataSource db, Delivery.OutboundFiles outbound, ILogger<ClearingService> logger)
{
    public sealed record Request(string AdmDivCode, DateOnly Date, int VoucherCount, Money Total, string Path, bool New);

    private sealed record ListedVoucher(string PayAcctNo, string DeptName, string VoucherNo, long PaidFen, string FundChannel, DateOnly BusinessDate);

    public Task<IReadOnlyList<Request>> RunAsync(DateOnly date, string outbox, CancellationToken ct) => RunAsync(date, _ => outbox, ct);

    /// <summary>As above, writing each bureau's request into its own outbox (the service: one per channel).</summary>
    public async Task<IReadOnlyList<Request>> RunAsync(DateOnly date, Func<string, string> outboxFor, CancellationToken ct)
    {
        var requests = new List<Request>();
        foreach (var adm in await BureausToClearAsync(date, ct))
        {
            bool created = await RecordAsync(adm, date, ct);
            var lines = await ListedAsync(adm, date, ct);
            if (lines.Count == 0) continue;
            var request = ClearingRequest.Of(adm, date, lines);
            string name = FileNames.Clearing(adm, date);
            var written = await outbound.EnsureAsync(outboxFor(adm), name, "QS", adm, null, $"clearing:{adm}:{date:yyyyMMdd}",
                (stream, _) => { ClearingRequestXml.Write(request, stream); return Task.CompletedTask; }, ct);
            requests.Add(new Request(adm, date, request.VoucherCount, request.TotalAmt, written.Path, written.New || created));
        }
        return requests;
    }

    /// <summary>
    /// The earliest business date with a paid voucher no QS_ lists yet (the service catches up from there after
    /// downtime, one clear date at a time), or null when everything paid is cleared.
    /// </summary>
    public async Task<DateOnly?> OldestUnclearedAsync(DateOnly upTo, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<DateOnly?>(new CommandDefinition($"""
            select min(v.business_date) from vouchers v
            where {Unlisted} and v.business_date <= @upTo
            """, new { upTo }, cancellationToken: ct));
    }

    /// <summary>Paid vouchers no QS_ lists, with business date before <paramref name="before"/> (the paid-but-uncleared alarm).</summary>
    public async Task<int> CountUnclearedAsync(DateOnly before, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition($"""
            select count(*)::int from vouchers v where {Unlisted} and v.business_date < @before
            """, new { before }, cancellationToken: ct));
    }

    // One home for "paid and not yet in any QS_".
    private const string Unlisted = """
        v.status = 'COMPLETED' and v.paid_fen > 0
        and not exists (select 1 from clearing_lines c where c.voucher_id = v.id)
        """;

    private async Task<List<string>> BureausToClearAsync(DateOnly date, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition($"""
            select adm_div_code from clearing_requests where clear_date = @date
            union
            select v.adm_div_code from vouchers v where {Unlisted} and v.business_date <= @date
            order by 1
            """, new { date }, cancellationToken: ct))).ToList();
    }

    /// <summary>
    /// Records the request for (bureau, date) with the vouchers it lists, once: true when this call created it.
    /// A per-bureau advisory lock orders concurrent runs (two nodes, two dates), so no voucher is listed twice.
    /// </summary>
    private async Task<bool> RecordAsync(string adm, DateOnly date, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "select pg_advisory_xact_lock(hashtext('clearing:' || @adm))", new { adm }, tx, cancellationToken: ct));
        bool exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from clearing_requests where adm_div_code = @adm and clear_date = @date)", new { adm, date }, tx, cancellationToken: ct));
        if (exists) return false;
        var totals = await connection.QuerySingleAsync<(int Count, long Total, long Treasury, long Grain)>(new CommandDefinition($"""
            with listed as (
                insert into clearing_lines (voucher_id, adm_div_code, clear_date)
                select v.id, v.adm_div_code, @date from vouchers v
                where {Unlisted} and v.adm_div_code = @adm and v.business_date <= @date
                returning voucher_id)
            select count(*)::int, coalesce(sum(v.paid_fen), 0)::bigint,
                   coalesce(sum(v.paid_fen) filter (where v.fund_channel <> 'GRAIN_FUND'), 0)::bigint,
                   coalesce(sum(v.paid_fen) filter (where v.fund_channel = 'GRAIN_FUND'), 0)::bigint
            from listed l join vouchers v on v.id = l.voucher_id
            """, new { adm, date }, tx, cancellationToken: ct));
        if (totals.Count == 0) return false; // nothing paid for this bureau: no QS_ (contract §7)
        string name = FileNames.Clearing(adm, date);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into clearing_requests (adm_div_code, clear_date, voucher_count, total_fen, treasury_fen, grain_fund_fen, file_name, created_at)
            values (@adm, @date, @count, @total, @treasury, @grain, @name, now())
            """, new { adm, date, count = totals.Count, total = totals.Total, treasury = totals.Treasury, grain = totals.Grain, name }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        logger.LogInformation("Clearing: {File} lists {Count} voucher(s), {Amount} yuan (treasury {Treasury}, grain fund {Grain})",
            name, totals.Count, new Money(totals.Total), new Money(totals.Treasury), new Money(totals.Grain));
        return true;
    }

    private async Task<List<ClearingLine>> ListedAsync(string adm, DateOnly date, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ListedVoucher>(new CommandDefinition("""
            select v.pay_acct_no, v.dept_name, v.voucher_no, v.paid_fen, v.fund_channel, v.business_date
            from clearing_lines c join vouchers v on v.id = c.voucher_id
            where c.adm_div_code = @adm and c.clear_date = @date
            order by v.pay_acct_no collate "C", v.voucher_no collate "C"
            """, new { adm, date }, cancellationToken: ct));
        return rows.Select(r => new ClearingLine(r.PayAcctNo, r.DeptName, r.VoucherNo, new Money(r.PaidFen),
            Enum.Parse<FundChannel>(r.FundChannel), r.BusinessDate)).ToList();
    }
}
