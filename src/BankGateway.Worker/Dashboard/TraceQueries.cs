using BankGateway.Worker.Reconciliation;
using Dapper;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard;

/// <summary>
/// One line's whole chain (contract §15 traceability) as the /lines/{voucherId}/{rowNo} page shows it: voucher → line →
/// its payment credit (journal P/C) → failure → the voucher's return (due, executed, return credit) → the later lines that
/// re-issued it (reissue_links) with their own credits and QS_ → the QS_ that cleared the voucher (<see cref="ClearDates"/>,
/// the same rule as the DZ_ ClearDate); and, for a re-issue line, the original it re-issues. Personal fields are raw here;
/// the page masks them.
/// </summary>
public sealed class TraceQueries(NpgsqlDataSource db)
{
    /// <summary>One query: a row per re-issue of the line (one row with empty re-issue columns when it has none); null when no such line.</summary>
    public async Task<LineTrace?> TraceAsync(long voucherId, int rowNo, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<TraceRow>(new CommandDefinition($"""
            select v.id as voucher_id, v.adm_div_code, v.voucher_no, v.business_date, v.status, v.dept_name, v.subsidy_name, v.period, v.fund_channel,
                   l.row_no, l.seq_no, l.name, l.id_number, l.account_no, l.phone, l.amount_text, l.amount_fen,
                   j.id as journal_id, j.account_no as journal_account, j.amount_fen as journal_fen, j.posted_at,
                   f.code as failure_code,
                   r.due_date as return_due, r.status as return_status, r.executed_at as return_executed_at, r.executed_by as return_executed_by,
                   (select min(rj.id) from journal rj where rj.voucher_id = v.id and rj.kind = 'R' and rj.side = 'C') as return_journal_id,
                   cd.clear_date, cr.file_name as clear_file,
                   o.orig_voucher_id, o.orig_row_no, o.orig_voucher_no, o.orig_seq_no, o.orig_failure_code,
                   k.reissue_voucher_id, k.reissue_row_no, k.reissue_voucher_no, k.reissue_seq_no, kv.business_date as reissue_business_date,
                   kj.id as reissue_journal_id, kj.account_no as reissue_journal_account, kj.amount_fen as reissue_journal_fen, kj.posted_at as reissue_posted_at,
                   kf.code as reissue_failure_code, kcd.clear_date as reissue_clear_date, kcr.file_name as reissue_clear_file
            from voucher_lines l
            join vouchers v on v.id = l.voucher_id
            left join journal j on j.voucher_id = l.voucher_id and j.kind = 'P' and j.side = 'C' and j.ref_no = l.row_no
            left join line_failures f on f.voucher_id = l.voucher_id and f.row_no = l.row_no
            left join returns r on r.voucher_id = v.id and f.code is not null
            left join lateral (select {ClearDates.Of("v")} as clear_date) cd on true
            left join clearing_requests cr on cr.adm_div_code = v.adm_div_code and cr.clear_date = cd.clear_date
            left join reissue_links o on o.reissue_voucher_id = l.voucher_id and o.reissue_row_no = l.row_no
            left join reissue_links k on k.orig_voucher_id = l.voucher_id and k.orig_row_no = l.row_no
            left join vouchers kv on kv.id = k.reissue_voucher_id
            left join journal kj on kj.voucher_id = k.reissue_voucher_id and kj.kind = 'P' and kj.side = 'C' and kj.ref_no = k.reissue_row_no
            left join line_failures kf on kf.voucher_id = k.reissue_voucher_id and kf.row_no = k.reissue_row_no
            left join lateral (select {ClearDates.Of("kv")} as clear_date) kcd on kv.id is not null
            left join clearing_requests kcr on kcr.adm_div_code = kv.adm_div_code and kcr.clear_date = kcd.clear_date
            where l.voucher_id = @voucherId and l.row_no = @rowNo
            order by k.reissue_voucher_id, k.reissue_row_no
            limit 100
            """, new { voucherId, rowNo }, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return null;
        return new LineTrace(rows[0], rows.Where(r => r.ReissueVoucherId is not null).ToList());
    }
}

/// <summary>The chain of one line: the line itself (with its voucher, credit, failure, return, QS_ and original) and its re-issues.</summary>
public sealed record LineTrace(TraceRow Line, IReadOnlyList<TraceRow> Reissues);

/// <summary>One row of <see cref="TraceQueries.TraceAsync"/>. Personal fields are raw; pages mask them.</summary>
public sealed class TraceRow
{
    public long VoucherId { get; init; }
    public string AdmDivCode { get; init; } = "";
    public string VoucherNo { get; init; } = "";
    public DateOnly BusinessDate { get; init; }
    public VoucherStatus Status { get; init; } = null!;
    public string DeptName { get; init; } = "";
    public string SubsidyName { get; init; } = "";
    public string Period { get; init; } = "";
    public string FundChannel { get; init; } = "";
    public int RowNo { get; init; }
    public string SeqNo { get; init; } = "";
    public string Name { get; init; } = "";
    public string IdNumber { get; init; } = "";
    public string AccountNo { get; init; } = "";
    public string Phone { get; init; } = "";
    public string AmountText { get; init; } = "";
    public long? AmountFen { get; init; }
    public long? JournalId { get; init; }
    public string? JournalAccount { get; init; }
    public long? JournalFen { get; init; }
    public DateTime? PostedAt { get; init; }
    public short? FailureCode { get; init; }
    public DateOnly? ReturnDue { get; init; }
    public ReturnStatus? ReturnStatus { get; init; }
    public DateTime? ReturnExecutedAt { get; init; }
    public string? ReturnExecutedBy { get; init; }
    public long? ReturnJournalId { get; init; }
    public DateOnly? ClearDate { get; init; }
    public string? ClearFile { get; init; }
    public long? OrigVoucherId { get; init; }
    public int? OrigRowNo { get; init; }
    public string? OrigVoucherNo { get; init; }
    public string? OrigSeqNo { get; init; }
    public short? OrigFailureCode { get; init; }
    public long? ReissueVoucherId { get; init; }
    public int? ReissueRowNo { get; init; }
    public string? ReissueVoucherNo { get; init; }
    public string? ReissueSeqNo { get; init; }
    public DateOnly? ReissueBusinessDate { get; init; }
    public long? ReissueJournalId { get; init; }
    public string? ReissueJournalAccount { get; init; }
    public long? ReissueJournalFen { get; init; }
    public DateTime? ReissuePostedAt { get; init; }
    public short? ReissueFailureCode { get; init; }
    public DateOnly? ReissueClearDate { get; init; }
    public string? ReissueClearFile { get; init; }
}
