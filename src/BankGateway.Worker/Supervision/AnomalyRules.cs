namespace BankGateway.Worker.Supervision;

/// <summary>
/// The anomaly rules of contract §15, each one SQL in this one place. Every query takes <c>@from</c>/<c>@to</c>
/// (business dates of the window), <c>@sharedPhoneMin</c> (A02) and <c>@a05Cutoff</c> (A05: the last return date
/// whose third working day after it is on or before <c>@to</c>) and returns one row per offending line, at most
/// once: id_number, account_no, phone, voucher_no, seq_no, amount (yuan text), then voucher_id and row_no (the line's key, for the
/// dashboard's links; the YC_ file does not carry them).
/// "Paid" means a payment credit (journal kind P, side C) with its business date in the window.
/// </summary>
internal static class AnomalyRules
{
    public sealed record Rule(string Code, string Description, string Sql);

    private const string Paid = """
        paid as (
            select l.id_number, j.account_no, l.phone, v.voucher_no, l.seq_no, fen_text(j.amount_fen) as amount,
                   upper(l.id_number) as id_upper, v.adm_div_code, l.subsidy_name, l.period, j.posted_at, v.id as voucher_id, l.row_no
            from journal j
            join vouchers v on v.id = j.voucher_id
            join voucher_lines l on l.voucher_id = j.voucher_id and l.row_no = j.ref_no
            where j.kind = 'P' and j.side = 'C' and j.business_date between @from and @to)
        """;

    private const string Columns = "id_number, account_no, phone, voucher_no, seq_no, amount, voucher_id, row_no";

    public static readonly IReadOnlyList<Rule> All =
    [
        new("A01", "同一证件号码入账至两个及以上不同账户",
            $"""
            with {Paid}
            select {Columns} from paid
            where id_upper in (select id_upper from paid group by id_upper having count(distinct account_no) >= 2)
            order by id_upper, adm_div_code, voucher_no, row_no
            """),
        new("A02", "同一手机号码出现在多个不同证件号码的明细中",
            $"""
            with lines as (
                select l.id_number, l.account_no, l.phone, v.voucher_no, l.seq_no, coalesce(fen_text(l.amount_fen), l.amount_text) as amount,
                       upper(l.id_number) as id_upper, v.adm_div_code, l.row_no, v.id as voucher_id
                from vouchers v join voucher_lines l on l.voucher_id = v.id
                where v.business_date between @from and @to and l.phone <> '')
            select {Columns} from lines
            where phone in (select phone from lines group by phone having count(distinct id_upper) >= @sharedPhoneMin)
            order by phone, adm_div_code, voucher_no, row_no
            """),
        new("A03", "同一证件号码同一补贴同一期间在两个及以上区划领取（一人多地领取）",
            $"""
            with {Paid}
            select {Columns} from paid p
            where exists (select 1 from paid q
                          where q.id_upper = p.id_upper and q.subsidy_name = p.subsidy_name and q.period = p.period and q.adm_div_code <> p.adm_div_code)
            order by id_upper, subsidy_name, period, adm_div_code, voucher_no, row_no
            """),
        new("A04", "入账前30天内账户户名或证件号码被导入变更",
            $"""
            with {Paid}
            select {Columns} from paid p
            where exists (select 1 from account_changes c
                          where c.account_no = p.account_no and c.changed_at <= p.posted_at and c.changed_at > p.posted_at - interval '30 days')
            order by adm_div_code, voucher_no, row_no
            """),
        new("A05", "失败明细退回后3个工作日仍未补发也未入账（补发跟踪）",
            """
            select l.id_number, l.account_no, l.phone, v.voucher_no, l.seq_no, coalesce(fen_text(l.amount_fen), l.amount_text) as amount,
                   v.id as voucher_id, l.row_no
            from vouchers v
            join voucher_lines l on l.voucher_id = v.id
            join line_failures f on f.voucher_id = l.voucher_id and f.row_no = l.row_no
            join returns r on r.voucher_id = v.id
            where v.business_date between @from and @to
              and f.code not in (6, 7)
              and r.status = 'EXECUTED'
              and (r.executed_at at time zone 'Asia/Shanghai')::date <= @a05Cutoff
              and not exists (select 1 from reissue_links k join vouchers kv on kv.id = k.reissue_voucher_id
                              where k.orig_voucher_id = l.voucher_id and k.orig_row_no = l.row_no and kv.business_date <= @to)
              and not exists (select 1 from journal p
                              where p.kind = 'P' and p.side = 'C' and p.id_number = upper(l.id_number)
                                and p.subsidy_key = v.dept_name || '|' || v.subsidy_name || '|' || v.period and p.business_date <= @to)
            order by v.adm_div_code, v.voucher_no, l.row_no
            """),
    ];
}
