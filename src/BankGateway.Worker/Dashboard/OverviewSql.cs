namespace BankGateway.Worker.Dashboard;

/// <summary>
/// The overview page's queries (<see cref="DashboardQueries.OverviewAsync"/>), read in this order from one batch: per
/// bureau and business day, vouchers in flight and recently completed, returns due, channels, lines per hour, alarms,
/// SMS pending and totals. Each reads the voucher summary counters or a small table, never <c>voucher_lines</c>.
/// </summary>
internal static class OverviewSql
{
    private const string BureauDaysSql = """
        with recent as (
            select business_date from vouchers group by business_date order by business_date desc limit @days
        ), since as (
            select coalesce(min(business_date), current_date) as day from recent
        ), v as (
            select adm_div_code, business_date as day,
                   count(*) filter (where status = 'RECEIVED') as received,
                   count(*) filter (where status = 'HELD') as held,
                   count(*) filter (where status = 'POSTING') as posting,
                   count(*) filter (where status = 'COMPLETED') as completed,
                   sum(detail_count)::bigint as lines, sum(pay_amt_fen)::bigint as total_fen,
                   sum(paid_count)::bigint as paid_count, sum(paid_fen)::bigint as paid_fen,
                   sum(failed_count)::bigint as failed_count, sum(failed_fen)::bigint as failed_fen
            from vouchers where business_date >= (select day from since)
            group by 1, 2
        ), rj as (
            select adm_div_code, (received_at at time zone 'Asia/Shanghai')::date as day, count(*) as rejected
            from deliveries where outcome = 'REJECTED'
              and received_at >= ((select day from since) - 1)::timestamp at time zone 'Asia/Shanghai'
            group by 1, 2
        ), ret as (
            select v.adm_div_code, v.business_date as day,
                   count(*) filter (where r.status = 'SCHEDULED') as returns_due,
                   coalesce(sum(r.return_fen) filter (where r.status = 'SCHEDULED'), 0)::bigint as returns_due_fen,
                   count(*) filter (where r.status = 'EXECUTED') as returned,
                   coalesce(sum(r.return_fen) filter (where r.status = 'EXECUTED'), 0)::bigint as returned_fen
            from returns r join vouchers v on v.id = r.voucher_id
            where v.business_date >= (select day from since)
            group by 1, 2
        )
        select adm_div_code, day, coalesce(received, 0) as received, coalesce(held, 0) as held, coalesce(posting, 0) as posting,
               coalesce(completed, 0) as completed, coalesce(rejected, 0) as rejected, coalesce(lines, 0) as lines,
               coalesce(total_fen, 0) as total_fen, coalesce(paid_count, 0) as paid_count, coalesce(paid_fen, 0) as paid_fen,
               coalesce(failed_count, 0) as failed_count, coalesce(failed_fen, 0) as failed_fen,
               coalesce(returns_due, 0) as returns_due, coalesce(returns_due_fen, 0) as returns_due_fen,
               coalesce(returned, 0) as returned, coalesce(returned_fen, 0) as returned_fen
        from v full join rj using (adm_div_code, day) left join ret using (adm_div_code, day)
        where day >= (select day from since)
        order by day desc, adm_div_code
        """;

    private const string ActiveSql = $"""
        (select {DashboardQueries.VoucherColumns} from vouchers v left join returns r on r.voucher_id = v.id
         where v.status <> 'COMPLETED' order by v.received_at, v.id limit 200)
        union all
        (select {DashboardQueries.VoucherColumns} from vouchers v left join returns r on r.voucher_id = v.id
         where v.status = 'COMPLETED' order by v.completed_at desc nulls last, v.id desc limit 10)
        """;

    private const string ReturnsDueSql = $"""
        select {DashboardQueries.VoucherColumns} from returns r join vouchers v on v.id = r.voucher_id
        where r.status = 'SCHEDULED' order by r.due_date, v.id limit 200
        """;

    private const string ChannelsSql = "select adm_div_code, kind, last_poll_at, last_error from channels order by adm_div_code";

    private const string RateSql = """
        select coalesce(sum(paid_count + failed_count), 0)::bigint,
               coalesce(sum(paid_count + failed_count) filter (where committed_at >= @now - interval '5 minutes'), 0)::bigint
        from posting_chunks where committed_at >= @now - interval '1 hour'
        """;

    private const string AlarmsSql = """
        (select '隔离待处理' as kind, voucher_id as voucherid, adm_div_code || '/' || voucher_no as subject,
                (created_at at time zone 'Asia/Shanghai')::date as day,
                case kind when 'SET' then '文件组' when 'VOUCHER' then '凭证入账' else '回单生成' end || '异常，已隔离：' || left(error, 200) as detail,
                id as quarantineid
         from quarantine where released_at is null order by id limit 50)
        union all
        (select '已付未清算', v.id, v.adm_div_code || '/' || v.voucher_no, v.business_date,
                '已入账 ' || fen_text(v.paid_fen) || ' 元，尚无划款申请 (QS_) 列入', null::bigint
         from vouchers v
         where v.status = 'COMPLETED' and v.paid_fen > 0 and v.business_date < @today
           and not exists (select 1 from clearing_lines c where c.voucher_id = v.id)
         order by v.business_date, v.id limit 50)
        """;

    /// <summary>The whole page in one round trip (D53): under a peak day's load every round trip waits for a busy server.</summary>
    public static readonly string Batch =
        string.Join(";\n", BureauDaysSql, ActiveSql, ReturnsDueSql, ChannelsSql, RateSql, AlarmsSql, Notices.SmsNoticeSql.Pending, Notices.SmsNoticeSql.Totals);
}
