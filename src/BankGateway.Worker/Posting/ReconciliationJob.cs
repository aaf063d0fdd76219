using BankGateway.Domain;
using BankGateway.Worker.Hosting.Service;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;
using Quartz;

namespace BankGateway.Worker.Posting;

/// <summary>
/// Hourly and at every start: every completed voucher's paid and failed totals are checked against the journal
/// (sum and count of its beneficiary credits) and its failed lines, and PaidAmt + FailedAmt = PayAmt. Any
/// difference is an alarm in the log and on <c>bankgateway_reconciliation_differences</c>. The same run logs the
/// vouchers and returns at deadline risk (<see cref="DeadlineWatch"/>).
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ReconciliationJob(NpgsqlDataSource db, DeadlineWatch deadlines, ILogger<ReconciliationJob> logger) : IJob
{
    public static readonly JobKey Key = new("reconciliation", "posting");

    /// <summary>A completed voucher whose own totals disagree with the ledger.</summary>
    public sealed record Difference(long Id, string AdmDivCode, string VoucherNo, long PayAmtFen, int DetailCount,
        int PaidCount, long PaidFen, int FailedCount, long FailedFen, long CreditCount, long CreditFen, long FailureRows);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        try
        {
            await ReconcileAsync(ct);
            await WatchDeadlinesAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Reconciliation: run failed: {Message}", e.Message);
        }
    }

    public async Task<IReadOnlyList<Difference>> ReconcileAsync(CancellationToken ct)
    {
        List<Difference> differences;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            differences = (await connection.QueryAsync<Difference>(new CommandDefinition("""
                with credits as (
                    select voucher_id, count(*) as credit_count, sum(amount_fen) as credit_fen
                    from journal where kind = 'P' and side = 'C' group by voucher_id),
                failures as (
                    select voucher_id, count(*) as failure_rows from line_failures group by voucher_id)
                select v.id, v.adm_div_code, v.voucher_no, v.pay_amt_fen, v.detail_count, v.paid_count, v.paid_fen,
                       v.failed_count, v.failed_fen,
                       coalesce(c.credit_count, 0)::bigint as credit_count, coalesce(c.credit_fen, 0)::bigint as credit_fen,
                       coalesce(f.failure_rows, 0)::bigint as failure_rows
                from vouchers v
                left join credits c on c.voucher_id = v.id
                left join failures f on f.voucher_id = v.id
                where v.status = 'COMPLETED'
                  and (v.paid_fen <> coalesce(c.credit_fen, 0) or v.paid_count <> coalesce(c.credit_count, 0)
                       or v.failed_count <> coalesce(f.failure_rows, 0)
                       or v.paid_fen + v.failed_fen <> v.pay_amt_fen or v.paid_count + v.failed_count <> v.detail_count)
                order by v.id
                """, commandTimeout: 0, cancellationToken: ct))).ToList();
        }
        GatewayMetrics.ReconciliationDifferences.Set(differences.Count);
        GatewayMetrics.ReconciliationLastRun.SetToCurrentTimeUtc();
        foreach (var d in differences)
            logger.LogCritical("Reconciliation ALARM: voucher {Adm}/{VoucherNo} says paid {PaidCount} line(s) / {Paid} yuan and failed {FailedCount} / {Failed} " +
                "of {Lines} / {PayAmt}, but the journal has {Credits} credit(s) / {CreditAmt} yuan and {FailureRows} failed line(s)",
                d.AdmDivCode, d.VoucherNo, d.PaidCount, new Money(d.PaidFen), d.FailedCount, new Money(d.FailedFen), d.DetailCount, new Money(d.PayAmtFen),
                d.CreditCount, new Money(d.CreditFen), d.FailureRows);
        if (differences.Count == 0) logger.LogInformation("Reconciliation: every completed voucher agrees with the journal");
        return differences;
    }

    private async Task WatchDeadlinesAsync(CancellationToken ct)
    {
        var snapshot = await deadlines.MeasureAsync(ct);
        foreach (var v in snapshot.VouchersAtRisk)
            logger.LogWarning("Deadline: voucher {Adm}/{VoucherNo} ({Status}) received {Received:yyyy-MM-dd HH:mm} is not completed; deadline {Deadline:yyyy-MM-dd}",
                v.AdmDivCode, v.VoucherNo, v.Status, v.ReceivedAt.ToOffset(TimeSpan.FromHours(8)), v.Deadline);
        foreach (var r in snapshot.OverdueReturns)
            logger.LogError("Deadline: the return of voucher {Adm}/{VoucherNo} was due {Due:yyyy-MM-dd} and has not been executed", r.AdmDivCode, r.VoucherNo, r.DueDate);
    }
}
