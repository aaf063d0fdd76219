using BankGateway.Worker.Hosting;
using Dapper;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard;

/// <summary>Filters of the voucher list (all optional; they travel in the query string: no personal data).</summary>
public sealed record VoucherFilter(string? AdmDivCode, string? Dept, string? Subsidy, DateOnly? From, DateOnly? To, string? Status, int Page);

/// <summary>Which lines of a voucher to show: <c>failed</c> (default), <c>paid</c>, <c>all</c> or one code <c>F08</c>; optionally one 序号.</summary>
public sealed record LineFilter(string Outcome, string? SeqNo, int Page);

/// <summary>
/// Every read of the dashboard. The overview and the polled summary read the voucher summary
/// counters (kept by the posting transaction) and small tables only; no query here scans voucher_lines
/// beyond one voucher's primary-key range or one person's index entries.
/// </summary>
public sealed partial class DashboardQueries(NpgsqlDataSource db, GatewayClock clock, GatewaySettings settings, IServiceProvider? services = null)
{
    public const int PageSize = 50;

    /// <summary>The last page number a list accepts; a larger <c>?p=</c> is clamped to it (shows an empty page).</summary>
    public const int MaxPage = 1_000_000;

    /// <summary>A page number from a query string, clamped to 1..<see cref="MaxPage"/>.</summary>
    public static int ClampPage(int page) => Math.Clamp(page, 1, MaxPage);

    /// <summary>The row offset of a page, computed in 64 bits so no page number can overflow it.</summary>
    public static long Offset(int page) => (long)(ClampPage(page) - 1) * PageSize;

    internal const string VoucherColumns = """
        v.id, v.adm_div_code, v.voucher_no, v.status, v.business_date, v.received_at, v.completed_at, v.dept_name, v.subsidy_name,
        v.period, v.pay_amt_fen, v.detail_count, v.chunk_count, v.chunks_done, v.paid_count, v.paid_fen, v.failed_count, v.failed_fen,
        r.status as return_status, r.due_date as return_due
        """;

    /// <summary>The polled summary: counts by state (from the partial status index and today's rows) and the listed vouchers' counters.</summary>
    public async Task<SummaryJson> SummaryAsync(IReadOnlyCollection<long> voucherIds, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var today = clock.Today;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal) { [VoucherStatus.Received.Text] = 0, [VoucherStatus.Held.Text] = 0, [VoucherStatus.Posting.Text] = 0 };
        foreach (var (status, n) in await connection.QueryAsync<(string, long)>(new CommandDefinition(
                     "select status, count(*) from vouchers where status <> 'COMPLETED' group by status", cancellationToken: ct)))
            counts[status] = n;
        var (completedToday, returnsDue) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition("""
            select (select count(*) from vouchers where status = 'COMPLETED' and business_date = @today),
                   (select count(*) from returns where status = 'SCHEDULED')
            """, new { today }, cancellationToken: ct));
        counts["COMPLETED_TODAY"] = completedToday;
        counts["RETURNS_DUE"] = returnsDue;

        var ids = voucherIds.Take(500).ToArray();
        var rows = (await connection.QueryAsync<VoucherRow>(new CommandDefinition($"""
            select {VoucherColumns} from vouchers v left join returns r on r.voucher_id = v.id
            where v.id = any(@ids) or v.status <> 'COMPLETED'
            order by v.id limit 700
            """, new { ids }, cancellationToken: ct))).ToList();
        return new SummaryJson(clock.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), counts,
            rows.Select(v => new SummaryVoucher(v.Id, v.VoucherNo, v.Status.Text, Display.State(v.Status), v.ChunksDone, v.ChunkCount,
                v.PaidCount, Display.Yuan(v.PaidFen), v.FailedCount, Display.Yuan(v.FailedFen))).ToList());
    }

    public async Task<(IReadOnlyList<VoucherRow> Rows, IReadOnlyList<DeliveryRow> Rejected)> VouchersAsync(VoucherFilter f, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var args = new
        {
            adm = Empty(f.AdmDivCode), dept = Like(f.Dept), subsidy = Like(f.Subsidy), from = f.From, to = f.To,
            status = Empty(f.Status), limit = PageSize, offset = Offset(f.Page),
        };
        if (f.Status == DeliveryOutcome.Rejected.Text)
        {
            var rejected = await connection.QueryAsync<DeliveryRow>(new CommandDefinition("""
                select id, adm_div_code, voucher_no, voucher_file, detail_file, outcome, reject_code, reject_detail, voucher_id, received_at, content_sm3
                from deliveries
                where outcome = 'REJECTED' and (@adm::text is null or adm_div_code = @adm)
                  and (@from::date is null or received_at >= @from::date::timestamp at time zone 'Asia/Shanghai')
                  and (@to::date is null or received_at < (@to::date + 1)::timestamp at time zone 'Asia/Shanghai')
                order by received_at desc, id desc limit @limit offset @offset
                """, args, cancellationToken: ct));
            return ([], rejected.ToList());
        }
        var rows = await connection.QueryAsync<VoucherRow>(new CommandDefinition($"""
            select {VoucherColumns} from vouchers v left join returns r on r.voucher_id = v.id
            where (@adm::text is null or v.adm_div_code = @adm)
              and (@dept::text is null or v.dept_name like @dept)
              and (@subsidy::text is null or v.subsidy_name like @subsidy)
              and (@from::date is null or v.business_date >= @from::date)
              and (@to::date is null or v.business_date <= @to::date)
              and (@status::text is null or v.status = @status)
            order by v.received_at desc, v.id desc limit @limit offset @offset
            """, args, cancellationToken: ct));
        return (rows.ToList(), []);
    }

    public async Task<IReadOnlyList<string>> BureausAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            "select adm_div_code from channels union select distinct adm_div_code from vouchers order by 1", cancellationToken: ct))).ToList();
    }

    public async Task<VoucherHeader?> VoucherAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<VoucherHeader>(new CommandDefinition("""
            select v.id, v.adm_div_code, v.voucher_no, v.status, v.business_date, v.received_at, v.completed_at, v.vt_code, v.st_year, v.vou_date,
                   v.dept_code, v.dept_name, v.subsidy_code, v.subsidy_name, v.period, v.pay_acct_no, v.pay_acct_name, v.fund_channel,
                   v.return_acct_no, v.return_acct_name, v.pay_amt_fen, v.detail_count, v.detail_file, v.detail_file_sm3, v.detail_encoding,
                   v.reissue_of, v.chunk_count, v.chunks_done, v.paid_count, v.paid_fen, v.failed_count, v.failed_fen, v.claimed_by, v.claim_expires_at,
                   r.status as return_status, r.due_date as return_due, r.due_covered as return_due_covered, r.return_count, r.return_fen,
                   r.executed_at as return_executed_at, r.executed_by as return_executed_by
            from vouchers v left join returns r on r.voucher_id = v.id where v.id = @id
            """, new { id }, cancellationToken: ct));
    }

    public async Task<long?> VoucherIdAsync(string admDivCode, string voucherNo, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            "select id from vouchers where adm_div_code = @admDivCode and voucher_no = @voucherNo", new { admDivCode, voucherNo }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<CodeCount>> FailureCodesAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<CodeCount>(new CommandDefinition("""
            select f.code, count(*)::int as lines, coalesce(sum(l.amount_fen), 0)::bigint as fen
            from line_failures f join voucher_lines l on l.voucher_id = f.voucher_id and l.row_no = f.row_no
            where f.voucher_id = @id group by f.code order by f.code
            """, new { id }, cancellationToken: ct))).ToList();
    }

    private const string LineColumns = """
        l.voucher_id, v.voucher_no, v.adm_div_code, v.business_date, l.row_no, l.seq_no, l.name, l.id_number, l.account_no, l.subsidy_name,
        l.period, l.amount_text, l.amount_fen, f.code, j.id as journal_id, j.posted_at, l.orig_voucher_no, l.orig_seq_no
        """;

    public async Task<IReadOnlyList<LineRow>> LinesAsync(long id, LineFilter filter, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        short? code = filter.Outcome.Length == 3 && filter.Outcome[0] == 'F' && short.TryParse(filter.Outcome.AsSpan(1), out var c) ? c : null;
        var args = new { id, seq = Empty(filter.SeqNo), code, limit = PageSize, offset = Offset(filter.Page) };
        string sql = filter.Outcome is "all" or "paid"
            ? $"""
              select {LineColumns}
              from voucher_lines l join vouchers v on v.id = l.voucher_id
              left join line_failures f on f.voucher_id = l.voucher_id and f.row_no = l.row_no
              left join journal j on j.voucher_id = l.voucher_id and j.kind = 'P' and j.side = 'C' and j.ref_no = l.row_no
              where l.voucher_id = @id and (@seq::text is null or l.seq_no = @seq) {(filter.Outcome == "paid" ? "and j.id is not null" : "")}
              order by l.row_no limit @limit offset @offset
              """
            : $"""
              select {LineColumns}
              from line_failures f join voucher_lines l on l.voucher_id = f.voucher_id and l.row_no = f.row_no
              join vouchers v on v.id = l.voucher_id
              left join journal j on false
              where f.voucher_id = @id and (@code::smallint is null or f.code = @code) and (@seq::text is null or l.seq_no = @seq)
              order by f.row_no limit @limit offset @offset
              """;
        return (await connection.QueryAsync<LineRow>(new CommandDefinition(sql, args, cancellationToken: ct))).ToList();
    }

    public async Task<LineRow?> LineAsync(long id, int rowNo, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<LineRow>(new CommandDefinition($"""
            select {LineColumns}
            from voucher_lines l join vouchers v on v.id = l.voucher_id
            left join line_failures f on f.voucher_id = l.voucher_id and f.row_no = l.row_no
            left join journal j on j.voucher_id = l.voucher_id and j.kind = 'P' and j.side = 'C' and j.ref_no = l.row_no
            where l.voucher_id = @id and l.row_no = @rowNo
            """, new { id, rowNo }, cancellationToken: ct));
    }

    /// <summary>
    /// The voucher's history, newest first: every status change of the voucher and its return (voucher_events,
    /// with who and why), and the facts around them: deliveries, chunks, files and every audited action.
    /// </summary>
    public async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(VoucherHeader v, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<HistoryEntry>(new CommandDefinition("""
            select * from (
                select received_at as at, 'deliveries' as source,
                       case outcome when 'ACCEPTED' then '收到凭证，验签通过' else '拒绝 ' || coalesce(reject_code, '') end as what,
                       null::text as actor, voucher_file || coalesce('：' || reject_detail, '') as detail,
                       null::text as from_status, null::text as to_status, null::bigint as event_id
                from deliveries where adm_div_code = @adm and voucher_no = @no
                union all
                select committed_at, 'posting_chunks', '第 ' || chunk_no || ' 批入账', null,
                       '行 ' || first_row || '–' || last_row || '：成功 ' || paid_count || ' 笔 ' || fen_text(paid_fen) || ' 元，失败 ' || failed_count || ' 笔 ' || fen_text(failed_fen) || ' 元',
                       null, null, null
                from posting_chunks where voucher_id = @id
                union all
                select created_at, 'outbound_files', '生成 ' || file_name, null, 'SM3 ' || sm3, null, null, null
                from outbound_files where voucher_id = @id or file_name = 'RJ_' || @adm || '_' || @no || '.xml'
                union all
                select e.at, 'voucher_events', e.subject, nullif(e.actor, 'system'),
                       e.reason || case when e.to_status = 'EXECUTED' then '：' || r.return_count || ' 笔 ' || fen_text(r.return_fen) || ' 元' else '' end,
                       e.from_status, e.to_status, e.id
                from voucher_events e left join returns r on e.subject = 'return' and r.voucher_id = e.voucher_id
                where e.voucher_id = @id
                union all
                select at, 'audit_log', action, actor, detail, null, null, null from audit_log where subject = @subject
            ) h
            order by at desc, event_id desc nulls last limit 500
            """, new { id = v.Id, adm = v.AdmDivCode, no = v.VoucherNo, subject = v.Subject }, cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<OutboundFileRow>> FilesAsync(VoucherHeader v, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<OutboundFileRow>(new CommandDefinition("""
            select file_name, kind, sm3, size_bytes, archive_path, created_at from outbound_files
            where voucher_id = @id
               or file_name = 'QS_' || @adm || '_' || to_char(@day::date, 'YYYYMMDD') || '.xml'
               and exists (select 1 from clearing_requests c where c.adm_div_code = @adm and c.clear_date = @day::date)
            order by created_at, file_name
            """, new { id = v.Id, adm = v.AdmDivCode, day = v.BusinessDate }, cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<DeliveryRow>> DeliveriesAsync(VoucherHeader v, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<DeliveryRow>(new CommandDefinition("""
            select id, adm_div_code, voucher_no, voucher_file, detail_file, outcome, reject_code, reject_detail, voucher_id, received_at, content_sm3
            from deliveries where adm_div_code = @adm and voucher_no = @no order by received_at, id
            """, new { adm = v.AdmDivCode, no = v.VoucherNo }, cancellationToken: ct))).ToList();
    }

    /// <summary>One delivery (accepted or rejected) by its id.</summary>
    public async Task<DeliveryRow?> DeliveryAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DeliveryRow>(new CommandDefinition("""
            select id, adm_div_code, voucher_no, voucher_file, detail_file, outcome, reject_code, reject_detail, voucher_id, received_at, content_sm3
            from deliveries where id = @id
            """, new { id }, cancellationToken: ct));
    }

    /// <summary>The RJ_ notice produced for a rejected delivery (outbound_files.source = 'delivery:&lt;id&gt;'), if any.</summary>
    public async Task<OutboundFileRow?> RejectionFileAsync(long deliveryId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<OutboundFileRow>(new CommandDefinition("""
            select file_name, kind, sm3, size_bytes, archive_path, created_at from outbound_files
            where source = @source order by created_at desc limit 1
            """, new { source = DeliverySubject(deliveryId) }, cancellationToken: ct));
    }

    /// <summary>A rejected delivery's history, newest first: its receipt, its RJ_ file and every audited action on it.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> DeliveryHistoryAsync(long deliveryId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<HistoryEntry>(new CommandDefinition("""
            select * from (
                select received_at as at, 'deliveries' as source, '拒绝 ' || coalesce(reject_code, '') as what,
                       null::text as actor, voucher_file || coalesce('：' || reject_detail, '') as detail
                from deliveries where id = @id
                union all
                select created_at, 'outbound_files', '生成 ' || file_name, null, 'SM3 ' || sm3
                from outbound_files where source = @subject
                union all
                select at, 'audit_log', action, actor, detail from audit_log where subject = @subject
            ) h
            order by at desc limit 500
            """, new { id = deliveryId, subject = DeliverySubject(deliveryId) }, cancellationToken: ct))).ToList();
    }

    /// <summary>How a delivery is named in outbound_files.source and audit_log.subject.</summary>
    public static string DeliverySubject(long deliveryId) => $"delivery:{deliveryId}";

    /// <summary>补发 links both ways: lines of this voucher re-issuing others, and later lines re-issuing this voucher's.</summary>
    public async Task<(IReadOnlyList<ReissueLink> ReissuesOf, IReadOnlyList<ReissueLink> ReissuedBy)> ReissuesAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        const string columns = "reissue_voucher_id, reissue_voucher_no, reissue_seq_no, orig_voucher_no, orig_seq_no, orig_voucher_id, orig_failure_code";
        var of = await connection.QueryAsync<ReissueLink>(new CommandDefinition(
            $"select {columns} from reissue_links where reissue_voucher_id = @id order by reissue_row_no limit 200", new { id }, cancellationToken: ct));
        var by = await connection.QueryAsync<ReissueLink>(new CommandDefinition(
            $"select {columns} from reissue_links where orig_voucher_id = @id order by reissue_voucher_id, reissue_row_no limit 200", new { id }, cancellationToken: ct));
        return (of.ToList(), by.ToList());
    }

    /// <summary>
    /// Every line ever paid or failed for one person, across all vouchers. Paid lines are found through
    /// the credits' ID index (a credit always carries its line's ID; an account's paid lines are its
    /// holder's, since F10 refuses any other ID), failed lines among the failures.
    /// </summary>
    public async Task<IReadOnlyList<LineRow>> LookupAsync(string? idNumber, string? accountNo, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        string? id = Empty(idNumber)?.ToUpperInvariant();
        string? account = Empty(accountNo);
        if (id is null && account is null) return [];
        return (await connection.QueryAsync<LineRow>(new CommandDefinition($"""
            with holder as (
                select coalesce(@id::text, (select upper(id_number) from accounts where account_no = @account::text)) as id_number
            )
            select * from (
                select {LineColumns}
                from journal j
                join voucher_lines l on l.voucher_id = j.voucher_id and l.row_no = j.ref_no
                join vouchers v on v.id = l.voucher_id
                left join line_failures f on false
                where j.kind = 'P' and j.side = 'C' and j.id_number = (select id_number from holder)
                  and (@account::text is null or j.account_no = @account::text)
                union all
                select {LineColumns}
                from line_failures f
                join voucher_lines l on l.voucher_id = f.voucher_id and l.row_no = f.row_no
                join vouchers v on v.id = l.voucher_id
                left join journal j on false
                where (@id::text is null or upper(l.id_number) = @id::text) and (@account::text is null or l.account_no = @account::text)
            ) x
            order by business_date desc, voucher_id desc, row_no
            limit 1000
            """, new { id, account }, cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<AuditRow>> AuditAsync(string? actor, string? action, long? before, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<AuditRow>(new CommandDefinition("""
            select id, at, actor, action, subject, detail from audit_log
            where (@actor::text is null or actor = @actor) and (@action::text is null or action like @action)
              and (@before::bigint is null or id < @before)
            order by id desc limit 100
            """, new { actor = Empty(actor), action = Empty(action) is { } a ? a + "%" : null, before }, cancellationToken: ct))).ToList();
    }

    private static string? Empty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static string? Like(string? s) => Empty(s) is { } t ? "%" + t.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%" : null;
}
