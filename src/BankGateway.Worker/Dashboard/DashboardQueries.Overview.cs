using BankGateway.Worker.Channels;
using BankGateway.Worker.Returns;
using Dapper;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard;

// The overview page: its batch (OverviewSql), and the deadline risks worked out from it.
public sealed partial class DashboardQueries
{
    /// <summary>How many recent business days (with vouchers) the overview shows per bureau.</summary>
    public const int OverviewDays = 14;

    public async Task<Overview> OverviewAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var now = clock.UtcNow;
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(
            OverviewSql.Batch, new { days = OverviewDays, now, today = clock.Today }, cancellationToken: ct));
        var days = (await grid.ReadAsync<BureauDay>()).ToList();
        // In flight first (the partial index on status), then the most recently completed.
        var active = (await grid.ReadAsync<VoucherRow>()).ToList();
        var returnsDue = (await grid.ReadAsync<VoucherRow>()).ToList();
        var channels = (await grid.ReadAsync<ChannelRow>()).ToList();
        var (hour, five) = await grid.ReadSingleAsync<(long, long)>();
        // Contract §12–§13 alarms: what waits in quarantine, and money paid that no QS_ has asked to clear.
        var alarms = (await grid.ReadAsync<RiskRow>()).ToList();
        // SMS notices: pending and the oldest through the partial pending index (the query the metrics use); attempts
        // counts every POST, the acknowledged one included, so failed attempts = attempts - sent.
        var (smsPending, smsOldest) = await grid.ReadSingleAsync<(long, DateTime?)>();
        var (smsSent, smsAttempts) = await grid.ReadSingleAsync<(long, long)>();
        var sms = new SmsTile { Pending = smsPending, OldestPending = smsOldest, Sent = smsSent, FailedAttempts = smsAttempts - smsSent };

        return new Overview
        {
            Sms = sms,
            Days = days,
            Active = active,
            ReturnsDue = returnsDue,
            Risks = [.. alarms, .. Risks(active, returnsDue, await CalendarAsync(ct), Rules)],
            Channels = channels,
            LinesLastHour = hour,
            LinesLast5Minutes = five,
            At = now.UtcDateTime,
        };
    }

    /// <summary>
    /// Deadlines at risk: a return past its due day (or due today after Gateway:ReturnTime) not yet
    /// executed; a voucher of an earlier business day still not completed; a held voucher (it waits for an operator).
    /// </summary>
    private DeadlineRules Rules => services?.GetService(typeof(DeadlineRules)) as DeadlineRules ?? DeadlineRules.Default;

    private async Task<BankGateway.Domain.Calendar.WorkingDayCalendar?> CalendarAsync(CancellationToken ct) =>
        services?.GetService(typeof(CalendarStore)) is CalendarStore store ? await store.CurrentAsync(ct) : null;

    private List<RiskRow> Risks(IReadOnlyList<VoucherRow> active, IReadOnlyList<VoucherRow> returnsDue,
        BankGateway.Domain.Calendar.WorkingDayCalendar? calendar, DeadlineRules rules)
    {
        var today = clock.Today;
        var chinaNow = TimeOnly.FromDateTime(clock.UtcNow.ToOffset(TimeSpan.FromHours(8)).DateTime);
        var risks = new List<RiskRow>();
        foreach (var r in returnsDue)
        {
            if (r.ReturnDue is not { } due) continue;
            if (due < today)
                risks.Add(new RiskRow { Kind = "退回逾期", VoucherId = r.Id, Subject = $"{r.AdmDivCode}/{r.VoucherNo}", Day = due, Detail = $"应于 {Display.Date(due)} 退回 {Display.Yuan(r.FailedFen)} 元，尚未执行" });
            else if (due == today && chinaNow >= settings.ReturnTime)
                risks.Add(new RiskRow { Kind = "今日应退回", VoucherId = r.Id, Subject = $"{r.AdmDivCode}/{r.VoucherNo}", Day = due, Detail = $"已过退回时间 {settings.ReturnTime:HH\\:mm}，尚未执行" });
        }
        foreach (var v in active.Where(v => v.Status != VoucherStatus.Completed))
        {
            // 时限风险: not completed by its bureau's PayWithin deadline (Gateway:Channels:<n>:PayWithin, default 2WD).
            var payWithin = rules.For(v.AdmDivCode);
            var received = DateOnly.FromDateTime(new DateTimeOffset(DateTime.SpecifyKind(v.ReceivedAt, DateTimeKind.Utc)).ToOffset(TimeSpan.FromHours(8)).DateTime);
            if (calendar is not null && payWithin.DeadlineAfter(calendar, received) is var deadline && today >= deadline)
                risks.Add(new RiskRow { Kind = "时限风险", VoucherId = v.Id, Subject = $"{v.AdmDivCode}/{v.VoucherNo}", Day = deadline,
                    Detail = $"应于 {Display.Date(deadline)} 前完成（{Display.PayWithin(payWithin)}），当前为{Display.State(v.Status)}" });
            if (v.Status == VoucherStatus.Held)
                risks.Add(new RiskRow { Kind = "暂停中", VoucherId = v.Id, Subject = $"{v.AdmDivCode}/{v.VoucherNo}", Day = v.BusinessDate, Detail = "已暂停入账，等待操作员恢复" });
            else if (v.BusinessDate < today)
                risks.Add(new RiskRow { Kind = "跨日未完成", VoucherId = v.Id, Subject = $"{v.AdmDivCode}/{v.VoucherNo}", Day = v.BusinessDate, Detail = $"业务日期 {Display.Date(v.BusinessDate)} 的凭证仍为{Display.State(v.Status)}" });
        }
        return risks;
    }
}
