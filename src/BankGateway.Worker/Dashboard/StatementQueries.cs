using BankGateway.Domain.Identity;
using Dapper;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard;

/// <summary>One entry of a beneficiary's history: a credit or a failed line, with its return and re-issue links.</summary>
public sealed class StatementEntry
{
    public string Kind { get; init; } = "";            // C = credit, F = failed line
    public long VoucherId { get; init; }
    public string VoucherNo { get; init; } = "";
    public string AdmDivCode { get; init; } = "";
    public DateOnly BusinessDate { get; init; }
    public string SeqNo { get; init; } = "";
    public string Name { get; init; } = "";
    public string IdNumber { get; init; } = "";
    public string AccountNo { get; init; } = "";
    public string DeptName { get; init; } = "";
    public string SubsidyName { get; init; } = "";
    public string Period { get; init; } = "";
    public long? AmountFen { get; init; }
    public string AmountText { get; init; } = "";
    public short? Code { get; init; }
    public long? JournalId { get; init; }
    public DateTime? PostedAt { get; init; }
    public ReturnStatus? ReturnStatus { get; init; }
    public DateOnly? ReturnDue { get; init; }
    public DateTime? ReturnExecutedAt { get; init; }
    public string OrigVoucherNo { get; init; } = "";
    public string OrigSeqNo { get; init; } = "";
    public string? ReissuedByVoucherNo { get; init; }
    public string? ReissuedBySeqNo { get; init; }
    public long? ReissuedByVoucherId { get; init; }
}

/// <summary>A beneficiary's full history (every credit, failure, return and re-issue) and its credit totals.</summary>
public sealed class Statement
{
    public IReadOnlyList<StatementEntry> Entries { get; init; } = [];
    public IReadOnlyList<StatementEntry> Credits => Entries.Where(e => e.Kind == "C").ToList();
    public IReadOnlyList<StatementEntry> Failures => Entries.Where(e => e.Kind == "F").ToList();

    /// <summary>Credits summed per subsidy and calendar year of the business date.</summary>
    public IReadOnlyList<(string Subsidy, int Year, int Count, long Fen)> Totals => Entries.Where(e => e.Kind == "C")
        .GroupBy(e => (e.SubsidyName, e.BusinessDate.Year))
        .Select(g => (g.Key.SubsidyName, g.Key.Year, g.Count(), g.Sum(e => e.AmountFen ?? 0)))
        .OrderBy(t => t.Year).ThenBy(t => t.SubsidyName, StringComparer.Ordinal).ToList();

    public long CreditFen => Entries.Where(e => e.Kind == "C").Sum(e => e.AmountFen ?? 0);

    /// <summary>The holder as the most recent line names them.</summary>
    public StatementEntry? Holder => Entries.FirstOrDefault(e => e.Kind == "C") ?? Entries.FirstOrDefault();
}

/// <summary>The counter statement's reads (contract §16): one set-based query per beneficiary.</summary>
public sealed class StatementQueries(NpgsqlDataSource db)
{
    public const int MaxEntries = 2000;

    /// <summary>
    /// Every credit (found through the credits' ID index: an account's credits are its holder's, F10 refusing
    /// any other ID) and every failed line of one person, by ID number or by account number, with the voucher's
    /// return (due / executed) and the re-issue links both ways (<c>reissue_links</c>).
    /// </summary>
    public async Task<Statement> HistoryAsync(string? idNumber, string? accountNo, CancellationToken ct)
    {
        string? id = string.IsNullOrWhiteSpace(idNumber) ? null : idNumber.Trim().ToUpperInvariant();
        string? account = string.IsNullOrWhiteSpace(accountNo) ? null : accountNo.Trim();
        if (id is null && account is null) return new Statement();
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<StatementEntry>(new CommandDefinition("""
            with holder as (
                select coalesce(@id::text, (select upper(id_number) from accounts where account_no = @account::text)) as id_number
            ), lines as (
                select 'C' as kind, l.voucher_id, l.row_no, j.amount_fen as amount_fen, j.id as journal_id, j.posted_at, null::smallint as code
                from journal j join voucher_lines l on l.voucher_id = j.voucher_id and l.row_no = j.ref_no
                where j.kind = 'P' and j.side = 'C' and j.id_number = (select id_number from holder)
                  and (@account::text is null or j.account_no = @account::text)
                union all
                select 'F', f.voucher_id, f.row_no, l.amount_fen, null, null, f.code
                from line_failures f join voucher_lines l on l.voucher_id = f.voucher_id and l.row_no = f.row_no
                where (@id::text is null or upper(l.id_number) = @id::text) and (@account::text is null or l.account_no = @account::text)
            )
            select x.kind, v.id as voucher_id, v.voucher_no, v.adm_div_code, v.business_date, l.seq_no, l.name, l.id_number, l.account_no,
                   v.dept_name, l.subsidy_name, l.period, x.amount_fen, l.amount_text, x.code, x.journal_id, x.posted_at,
                   case when x.kind = 'F' then r.status end as return_status, case when x.kind = 'F' then r.due_date end as return_due,
                   case when x.kind = 'F' then r.executed_at end as return_executed_at,
                   l.orig_voucher_no, l.orig_seq_no,
                   rb.reissue_voucher_no as reissued_by_voucher_no, rb.reissue_seq_no as reissued_by_seq_no, rb.reissue_voucher_id as reissued_by_voucher_id
            from lines x
            join voucher_lines l on l.voucher_id = x.voucher_id and l.row_no = x.row_no
            join vouchers v on v.id = x.voucher_id
            left join returns r on r.voucher_id = x.voucher_id
            left join lateral (
                select k.reissue_voucher_no, k.reissue_seq_no, k.reissue_voucher_id from reissue_links k
                where x.kind = 'F' and k.orig_voucher_id = x.voucher_id and k.orig_row_no = x.row_no
                order by k.reissue_voucher_id limit 1
            ) rb on true
            order by v.business_date desc, v.id desc, x.row_no
            limit @max
            """, new { id, account, max = MaxEntries }, cancellationToken: ct));
        return new Statement { Entries = rows.ToList() };
    }

    /// <summary>How a query is named in audit_log.subject: the kind and only the last 4 characters.</summary>
    public static string Subject(string kind, string value) => (kind == "account" ? "account:" : "id:") + TailMask.KeepLast4(value.ToUpperInvariant());
}
