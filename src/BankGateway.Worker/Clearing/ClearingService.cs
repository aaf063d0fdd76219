using BankGateway.Domain;
using BankGateway.Files.Formats;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Clearing;

/// <summary>
/// The day's clearing request (申请划款凭证, QS_) per finance bureau: one line per voucher completed
/// that business day with money paid. Written once; running it again rewrites nothing.
/// </summary>
internal sealed class ClearingService(NpgsqlDataSource db, Results.OutboundFiles outbound, ILogger<ClearingService> logger)
{
    public sealed record Request(string AdmDivCode, DateOnly Date, int VoucherCount, Money Total, string Path, bool New);

    private sealed record PaidVoucher(string AdmDivCode, string PayAcctNo, string DeptName, string VoucherNo, long PaidFen);

    public Task<IReadOnlyList<Request>> RunAsync(DateOnly date, string outbox, CancellationToken ct) => RunAsync(date, _ => outbox, ct);

    /// <summary>As above, writing each bureau's request into its own outbox (the service: one per channel).</summary>
    public async Task<IReadOnlyList<Request>> RunAsync(DateOnly date, Func<string, string> outboxFor, CancellationToken ct)
    {
        List<PaidVoucher> paid;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            paid = (await connection.QueryAsync<PaidVoucher>(new CommandDefinition("""
                select adm_div_code, pay_acct_no, dept_name, voucher_no, paid_fen
                from vouchers
                where status = 'COMPLETED' and business_date = @date and paid_fen > 0
                order by adm_div_code collate "C", pay_acct_no collate "C", voucher_no collate "C"
                """, new { date }, cancellationToken: ct))).ToList();
        }
        var requests = new List<Request>();
        foreach (var bureau in paid.GroupBy(p => p.AdmDivCode))
        {
            var lines = bureau.Select(p => new ClearingLine(p.PayAcctNo, p.DeptName, p.VoucherNo, new Money(p.PaidFen))).ToList();
            var request = new ClearingRequest(bureau.Key, date, lines.Count, new Money(bureau.Sum(p => p.PaidFen)), lines);
            string name = FileNames.Clearing(bureau.Key, date);
            var written = await outbound.EnsureAsync(outboxFor(bureau.Key), name, "QS", bureau.Key, null, $"clearing:{bureau.Key}:{date:yyyyMMdd}",
                (stream, _) => { ClearingRequestXml.Write(request, stream); return Task.CompletedTask; }, ct);
            await RecordAsync(request, name, ct);
            requests.Add(new Request(bureau.Key, date, request.VoucherCount, request.TotalAmt, written.Path, written.New));
        }
        return requests;
    }

    private async Task RecordAsync(ClearingRequest request, string name, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var recorded = await connection.QuerySingleOrDefaultAsync<(int VoucherCount, long TotalFen)?>(new CommandDefinition("""
            insert into clearing_requests (adm_div_code, clear_date, voucher_count, total_fen, file_name, created_at)
            values (@adm, @date, @count, @fen, @name, now())
            on conflict (adm_div_code, clear_date) do update set file_name = excluded.file_name
            returning voucher_count, total_fen
            """, new { adm = request.AdmDivCode, date = request.ClearDate, count = request.VoucherCount, fen = request.TotalAmt.Fen, name },
            cancellationToken: ct));
        if (recorded is { } r && (r.VoucherCount != request.VoucherCount || r.TotalFen != request.TotalAmt.Fen))
            logger.LogError("Clearing: {File} was already sent for {Count} vouchers / {Amount} yuan; vouchers completed since then need a supplementary request",
                name, r.VoucherCount, new Money(r.TotalFen));
    }
}
