namespace BankGateway.Worker.Notices;

/// <summary>The SMS notice statements (contract §16). Creation runs inside the posting chunk's transaction.</summary>
internal static class SmsNoticeSql
{
    /// <summary>
    /// One set-based insert per posting chunk, after its credits: every line credited in rows
    /// <c>@firstRow..@lastRow</c> whose 手机号码 is well formed (11 digits starting with 1, as
    /// <c>PhoneNumber.IsWellFormed</c>) gets its notice, the text rendered from the voucher's <c>format()</c>
    /// string with the amount in yuan and the account's last 4 digits. After the chunk's statement every line of its
    /// range is either credited (with its own amount and account) or in <c>line_failures</c>, so the credited ones are
    /// read from the chunk's own line range alone: one ordered index range and a key lookup per line. (A join with the
    /// journal rows written moments before, which have no statistics yet, was planned as a nested loop over both:
    /// 5,000-line chunks took 8 s and a 20,000-line chunk minutes.) <c>on conflict do nothing</c> keeps one notice per id.
    /// </summary>
    public const string Create = """
        insert into sms_notices (id, voucher_id, row_no, phone, text, state, attempts, created_at, next_attempt_at)
        select @idPrefix || l.seq_no, l.voucher_id, l.row_no, l.phone,
               format(@format, fen_text(l.amount_fen), right(l.account_no, 4)),
               'PENDING', 0, @now, @now
        from voucher_lines l
        where l.voucher_id = @voucherId and l.row_no between @firstRow and @lastRow
          and l.phone ~ '^1[0-9]{10}$'
          and not exists (select 1 from line_failures f where f.voucher_id = l.voucher_id and f.row_no = l.row_no)
        on conflict do nothing
        """;

    /// <summary>
    /// Claims due notices for this transaction; other senders (nodes, a <c>notices send</c>) skip them.
    /// A sender that dies releases them with its connection: they are sent again with the same id.
    /// </summary>
    public const string Claim = """
        select id, phone, text from sms_notices
        where state = 'PENDING' and next_attempt_at <= @cutoff
        order by next_attempt_at
        limit @limit
        for update skip locked
        """;

    /// <summary>
    /// Records one batch: acknowledged ones SENT; the others keep PENDING with the error and an exponential
    /// back-off (15 s, 30 s, 1 min … at most 30 min). Ids never sent (circuit open, shutdown) are not listed.
    /// The totals in <c>sms_counters</c> move in the same statement.
    /// </summary>
    public const string Record = """
        with recorded as (
            update sms_notices n
            set state = case when r.ok then 'SENT' else 'PENDING' end,
                attempts = n.attempts + 1,
                sent_at = case when r.ok then @now end,
                last_error = case when r.ok then n.last_error else r.error end,
                next_attempt_at = case when r.ok then n.next_attempt_at
                                       else @now + make_interval(secs => least(15 * power(2, least(n.attempts, 20)), 1800)) end
            from unnest(@ids, @oks, @errors) as r(id, ok, error)
            where n.id = r.id and n.state = 'PENDING'
            returning r.ok)
        update sms_counters set sent = sent + (select count(*) filter (where ok) from recorded),
                                attempts = attempts + (select count(*) from recorded)
        """;

    /// <summary>The dashboard's totals (kept by <see cref="Record"/>, migration 013): notices sent, and every POST made.</summary>
    public const string Totals = "select sent, attempts from sms_counters";

    /// <summary><c>notices send</c> is an operator asking for now: back-off waits are cut short.</summary>
    public const string DueNow = "update sms_notices set next_attempt_at = @now where state = 'PENDING' and next_attempt_at > @now";

    public const string Pending = """
        select count(*)::bigint as count, min(created_at) as oldest from sms_notices where state = 'PENDING'
        """;
}
