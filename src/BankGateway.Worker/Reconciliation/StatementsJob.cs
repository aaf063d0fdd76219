using BankGateway.Domain.Calendar;
using BankGateway.Domain.Statements;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Notices;
using BankGateway.Worker.Returns;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Quartz;

namespace BankGateway.Worker.Reconciliation;

/// <summary>
/// The service's statements (contract §14, §16): on every working day (China time, at <see cref="DailyAt"/> and once at
/// every start) it writes each DZ_ (month, then year) and MB_ (quarter) that is due and not yet written, for every
/// bureau with activity in the period, into the bureau's channel outbox, and delivers it. So the first working day of a
/// month writes last month's DZ_ (and on the first of a quarter or year, last quarter's MB_ and last year's DZ_), and
/// periods missed while the service was down are caught up on its next working day. A bureau refused because a voucher
/// of the period is unfinished is retried by the next run.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class StatementsJob(
    ReconciliationStatements reconciliation,
    BeneficiaryStatements beneficiaries,
    CalendarStore calendars,
    GatewayClock clock,
    ChannelRegistry channels,
    Delivery.DeliveryStage delivery,
    NpgsqlDataSource db,
    ILogger<StatementsJob> logger) : IJob
{
    public static readonly JobKey Key = new("statements", "statements");

    /// <summary>China time of the daily run: before returns (09:00 by default) and the day's business.</summary>
    public static readonly TimeOnly DailyAt = new(8, 30);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        try
        {
            await RunDueAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("Statements: stopped for shutdown; the next run finishes what is left");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Statements: run failed: {Message}; the next working day retries, or run `statements run` / `statements beneficiaries`", e.Message);
        }
    }

    /// <summary>Writes every due statement not yet written; null on a day off. Returns the names of the files written now.</summary>
    public async Task<IReadOnlyList<string>?> RunDueAsync(CancellationToken ct)
    {
        var today = clock.Today;
        var calendar = await calendars.CurrentAsync(ct);
        var status = calendar.TryIsWorkingDay(today);
        if (status == WorkingDayStatus.NotCovered)
            status = today.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? WorkingDayStatus.DayOff : WorkingDayStatus.WorkingDay;
        if (status != WorkingDayStatus.WorkingDay)
        {
            logger.LogInformation("Statements: {Today:yyyy-MM-dd} is not a working day; due statements wait for the next one", today);
            return null;
        }

        var written = new List<string>();
        var bureaus = new HashSet<string>(StringComparer.Ordinal);
        var outboxFor = channels.OutboxesForJobs(logger);
        foreach (var period in await DueAsync(today, ct))
        {
            try
            {
                if (period.Kind == PeriodKind.Quarter)
                {
                    foreach (var o in await beneficiaries.RunAsync(period, outboxFor, ct))
                        if (o.New) { written.Add(o.FileName); bureaus.Add(o.AdmDivCode); }
                }
                else
                {
                    foreach (var o in await reconciliation.RunAsync(period, outboxFor, ct))
                        if (o.New) { written.Add(o.FileName); bureaus.Add(o.AdmDivCode); }
                }
            }
            catch (StatementRefusedException e)
            {
                logger.LogInformation("Statements: {Period}: {Message}", period.Label, e.Message);
            }
        }
        foreach (var name in written) logger.LogInformation("Statements: wrote {File}", name);
        await delivery.DeliverAsync(channels, bureaus, wait: true, ct);
        return written;
    }

    /// <summary>
    /// The ended periods with activity for some bureau whose file is not recorded yet: months and years (DZ_) with an
    /// accepted voucher or a QS_, quarters (MB_) with a voucher that paid anything; oldest first, months before their year.
    /// </summary>
    internal async Task<IReadOnlyList<StatementPeriod>> DueAsync(DateOnly today, CancellationToken ct)
    {
        List<(string Adm, DateOnly Month, bool Paid)> activity;
        HashSet<string> done;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            activity = (await connection.QueryAsync<(string, DateOnly, bool)>(new CommandDefinition("""
                select adm_div_code, date_trunc('month', business_date)::date, bool_or(paid_fen > 0) from vouchers group by 1, 2
                union all
                select adm_div_code, date_trunc('month', clear_date)::date, false from clearing_requests group by 1, 2
                """, cancellationToken: ct))).ToList();
            done = (await connection.QueryAsync<string>(new CommandDefinition(
                "select source from outbound_files where kind in ('DZ', 'MB')", cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
        }

        var due = new HashSet<StatementPeriod>();
        foreach (var (adm, month, paid) in activity)
        {
            var kinds = paid ? new[] { PeriodKind.Month, PeriodKind.Year, PeriodKind.Quarter } : [PeriodKind.Month, PeriodKind.Year];
            foreach (var kind in kinds)
            {
                var period = StatementPeriod.Containing(kind, month);
                string source = kind == PeriodKind.Quarter ? $"beneficiaries:{adm}:{period.Label}" : $"statement:{adm}:{period.Label}";
                if (period.HasEnded(today) && !done.Contains(source)) due.Add(period);
            }
        }
        return due.OrderBy(p => p.Last).ThenBy(p => p.Kind).ToList();
    }
}
