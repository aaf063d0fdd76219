using BankGateway.Domain.Calendar;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Returns;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// Deadlines the bank answers for: a voucher must be completed within its bureau's <c>PayWithin</c> after the day
/// it was received (China time; default the second working day, see <see cref="PayWithin"/>), and failed money must
/// go back on its due date. A voucher still open on its deadline day or later is at risk; a return still scheduled
/// after its due date is overdue.
/// </summary>
internal sealed class DeadlineWatch(NpgsqlDataSource db, CalendarStore calendars, GatewayClock clock, DeadlineRules? rules = null)
{
    /// <summary>The default rule (<c>PayWithin</c> = <c>2WD</c>).</summary>
    public const int WorkingDaysToComplete = 2;

    private readonly DeadlineRules _rules = rules ?? DeadlineRules.Default;

    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    public sealed record VoucherAtRisk(string AdmDivCode, string VoucherNo, string Status, DateTimeOffset ReceivedAt, DateOnly Deadline);

    public sealed record OverdueReturn(string AdmDivCode, string VoucherNo, DateOnly DueDate);

    public sealed record Snapshot(IReadOnlyList<VoucherAtRisk> VouchersAtRisk, IReadOnlyList<OverdueReturn> OverdueReturns, int ReturnsDue, double OldestUnprocessedSeconds,
        int PaidUncleared, IReadOnlyDictionary<string, int> Quarantined, IReadOnlyDictionary<string, (int Count, double OldestSeconds)> DeliveryBacklog);

    // Npgsql reads timestamptz as a UTC DateTime.
    private sealed record OpenVoucher(string AdmDivCode, string VoucherNo, string Status, DateTime ReceivedAt)
    {
        public DateTimeOffset ReceivedUtc => new(DateTime.SpecifyKind(ReceivedAt, DateTimeKind.Utc));
    }

    public async Task<Snapshot> MeasureAsync(CancellationToken ct)
    {
        var now = clock.Provider.GetUtcNow();
        var today = clock.Today;
        List<OpenVoucher> open;
        List<OverdueReturn> overdue;
        int due;
        List<(DateOnly BusinessDate, int Count)> uncleared;
        Dictionary<string, int> quarantined;
        Dictionary<string, (int, double)> backlog;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            // Paid and in no QS_ (contract §13): alarmed once the next working day after its business date has passed.
            uncleared = (await connection.QueryAsync<(DateOnly, int)>(new CommandDefinition("""
                select v.business_date, count(*)::int from vouchers v
                where v.status = 'COMPLETED' and v.paid_fen > 0 and not exists (select 1 from clearing_lines c where c.voucher_id = v.id)
                group by v.business_date
                """, cancellationToken: ct))).ToList();
            quarantined = (await connection.QueryAsync<(string, int)>(new CommandDefinition(
                "select kind, count(*)::int from quarantine where released_at is null group by kind", cancellationToken: ct)))
                .ToDictionary(r => r.Item1, r => r.Item2, StringComparer.Ordinal);
            backlog = (await connection.QueryAsync<(string, int, double)>(new CommandDefinition("""
                select adm_div_code, count(*)::int, extract(epoch from now() - min(created_at))::float8 from file_deliveries
                where state = 'PENDING' group by adm_div_code
                """, cancellationToken: ct))).ToDictionary(r => r.Item1, r => (r.Item2, Math.Max(0, r.Item3)), StringComparer.Ordinal);
            open = (await connection.QueryAsync<OpenVoucher>(new CommandDefinition("""
                select adm_div_code, voucher_no, status, received_at from vouchers where status <> 'COMPLETED' order by received_at, id
                """, cancellationToken: ct))).ToList();
            overdue = (await connection.QueryAsync<OverdueReturn>(new CommandDefinition("""
                select v.adm_div_code, v.voucher_no, r.due_date from returns r join vouchers v on v.id = r.voucher_id
                where r.status = 'SCHEDULED' and r.due_date < @today order by r.due_date, v.id
                """, new { today }, cancellationToken: ct))).ToList();
            due = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "select count(*)::int from returns where status = 'SCHEDULED' and due_date <= @today", new { today }, cancellationToken: ct));
        }

        var calendar = await calendars.CurrentAsync(ct);
        var atRisk = new List<VoucherAtRisk>();
        foreach (var v in open)
        {
            var deadline = _rules.For(v.AdmDivCode).DeadlineAfter(calendar, DateOnly.FromDateTime(v.ReceivedUtc.ToOffset(China).DateTime));
            if (today >= deadline) atRisk.Add(new VoucherAtRisk(v.AdmDivCode, v.VoucherNo, v.Status, v.ReceivedUtc, deadline));
        }
        double oldest = open.Count == 0 ? 0 : Math.Max(0, (now - open.Min(v => v.ReceivedUtc)).TotalSeconds);
        int paidUncleared = uncleared.Where(u => calendar.NextWorkingDayAfter(u.BusinessDate).Date < today).Sum(u => u.Count);
        return new Snapshot(atRisk, overdue, due, oldest, paidUncleared, quarantined, backlog);
    }

    /// <summary>
    /// Whether the calendar lacks this China year, and the next (the State Council publishes it each autumn): past its
    /// data the calendar assumes ordinary weeks, so returns and deadlines around holidays and 调休 days would be wrong.
    /// </summary>
    public async Task<(bool ThisYear, bool NextYear)> CalendarGapsAsync(CancellationToken ct)
    {
        var calendar = await calendars.CurrentAsync(ct);
        int year = clock.Today.Year;
        return (!calendar.Covers(year), !calendar.Covers(year + 1));
    }

    /// <summary>The default deadline: the second working day after the day of receipt (past the calendar's data: ordinary weeks).</summary>
    internal static DateOnly Deadline(WorkingDayCalendar calendar, DateOnly received) => PayWithin.Default.DeadlineAfter(calendar, received);

    /// <summary>Open vouchers at deadline risk, by bureau (the <c>channel</c> label of the gauge).</summary>
    public static IReadOnlyDictionary<string, int> ByChannel(Snapshot snapshot) =>
        snapshot.VouchersAtRisk.GroupBy(v => v.AdmDivCode).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
