using BankGateway.Worker.Delivery;
using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Posting;
using BankGateway.Worker.Results;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Returns;

/// <summary>
/// Executes due returns: the failed money leaves the transit account for the voucher's return
/// account by its fund channel (国库单一账户 or 粮食风险基金财政专户), exactly once, and the signed
/// TH_ notice is written. Rows are claimed with SKIP LOCKED so several workers never execute one twice.
/// </summary>
internal sealed class ReturnService(NpgsqlDataSource db, GatewayClock time, OutboundFiles outbound, ILogger<ReturnService> logger)
{
    public sealed record Executed(string AdmDivCode, string VoucherNo, DateOnly DueDate, int Count, Money Amount, string NoticePath);

    private sealed record DueReturn(long VoucherId, string AdmDivCode, string VoucherNo, DateOnly DueDate, int ReturnCount, long ReturnFen,
        string ReturnAcctNo, string ReturnAcctName, string PayAcctNo, string DeptName, string SubsidyName);

    /// <summary>Executes every return due on or before <paramref name="date"/> not yet executed, then makes sure every executed return has its TH_.</summary>
    public Task<IReadOnlyList<Executed>> RunAsync(DateOnly date, string outbox, string actor, CancellationToken ct) =>
        RunAsync(date, _ => outbox, actor, ct);

    /// <summary>As above, writing each bureau's notices into its own outbox (the service: one per channel).</summary>
    public async Task<IReadOnlyList<Executed>> RunAsync(DateOnly date, Func<string, string> outboxFor, string actor, CancellationToken ct)
    {
        var done = new List<Executed>();
        while (await ExecuteNextAsync(date, actor, ct) is { } voucherId)
            logger.LogInformation("Returns: executed the return of voucher {VoucherId}", voucherId);

        List<long> executed;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            executed = (await connection.QueryAsync<long>(new CommandDefinition("""
                select r.voucher_id from returns r
                join vouchers v on v.id = r.voucher_id
                where r.status = 'EXECUTED' and r.due_date <= @date
                  and not exists (select 1 from outbound_files o where o.file_name = 'TH_' || v.adm_div_code || '_' || v.voucher_no || '.xml')
                order by r.due_date, r.voucher_id
                """, new { date }, cancellationToken: ct))).ToList();
        }
        foreach (var voucherId in executed) done.Add(await WriteNoticeAsync(voucherId, outboxFor, ct));
        return done;
    }

    private async Task<long?> ExecuteNextAsync(DateOnly date, string actor, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var due = await connection.QuerySingleOrDefaultAsync<DueReturn>(new CommandDefinition("""
            select r.voucher_id, v.adm_div_code, v.voucher_no, r.due_date, r.return_count, r.return_fen,
                   v.return_acct_no, v.return_acct_name, v.pay_acct_no, v.dept_name, v.subsidy_name
            from returns r join vouchers v on v.id = r.voucher_id
            where r.status = 'SCHEDULED' and r.due_date <= @date
            order by r.due_date, r.voucher_id
            limit 1
            for update of r skip locked
            """, new { date }, tx, cancellationToken: ct));
        if (due is null) return null;
        var now = time.UtcNow;
        if (due.ReturnFen > 0)
        {
            string transit = PostingEngine.TransitAccount(due.PayAcctNo);
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into journal (voucher_id, kind, side, ref_no, account_no, amount_fen, narrative, business_date, posted_at)
                values (@id, 'R', 'D', 0, @transit, @fen, @narrative, @date, @now),
                       (@id, 'R', 'C', 0, @returnAcct, @fen, @narrative, @date, @now);
                update internal_accounts set balance_fen = balance_fen - @fen where account_no = @transit;
                insert into internal_accounts as a (account_no, name, balance_fen) values (@returnAcct, @returnName, @fen)
                on conflict (account_no) do update set balance_fen = a.balance_fen + excluded.balance_fen;
                """, new
            {
                id = due.VoucherId, transit, fen = due.ReturnFen, returnAcct = due.ReturnAcctNo, returnName = due.ReturnAcctName,
                narrative = $"{due.DeptName}|{due.SubsidyName}|退回 {new Money(due.ReturnFen)}", date = due.DueDate, now,
            }, tx, cancellationToken: ct));
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            update returns set status = @executed, executed_at = @now, executed_by = @actor where voucher_id = @id;
            insert into audit_log (actor, action, subject, detail) values (@actor, 'return.execute', @subject, @detail);
            """, new { id = due.VoucherId, now, actor, executed = ReturnStatus.Executed, subject = $"{due.AdmDivCode}/{due.VoucherNo}", detail = $"{due.ReturnCount} lines, {new Money(due.ReturnFen)} yuan to {due.ReturnAcctNo}" }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return due.VoucherId;
    }

    private sealed record NoticeHead(string AdmDivCode, string VoucherNo, string FundChannel, string ReturnAcctNo, string ReturnAcctName,
        DateOnly DueDate, int ReturnCount, long ReturnFen);

    private async Task<Executed> WriteNoticeAsync(long voucherId, Func<string, string> outboxFor, CancellationToken ct)
    {
        NoticeHead head;
        List<ReturnLine> lines;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            head = await connection.QuerySingleAsync<NoticeHead>(new CommandDefinition("""
                select v.adm_div_code, v.voucher_no, v.fund_channel, v.return_acct_no, v.return_acct_name, r.due_date, r.return_count, r.return_fen
                from returns r join vouchers v on v.id = r.voucher_id where r.voucher_id = @voucherId
                """, new { voucherId }, cancellationToken: ct));
            lines = (await connection.QueryAsync<(string SeqNo, long? Fen, short Code)>(new CommandDefinition("""
                select l.seq_no, l.amount_fen, f.code from line_failures f
                join voucher_lines l on l.voucher_id = f.voucher_id and l.row_no = f.row_no
                where f.voucher_id = @voucherId order by f.row_no
                """, new { voucherId }, cancellationToken: ct)))
                .Select(l => new ReturnLine(l.SeqNo, new Money(l.Fen ?? 0), (FailureCode)l.Code))
                .ToList();
        }
        var dueDate = head.DueDate;
        var notice = new ReturnNotice(head.VoucherNo, head.AdmDivCode, Enum.Parse<FundChannel>(head.FundChannel), head.ReturnAcctNo,
            head.ReturnAcctName, dueDate, head.ReturnCount, new Money(head.ReturnFen), lines);
        var written = await outbound.EnsureAsync(outboxFor(head.AdmDivCode), FileNames.ReturnNotice(head.AdmDivCode, head.VoucherNo), "TH", head.AdmDivCode, voucherId, $"return:{voucherId}",
            (stream, _) => { ReturnNoticeXml.Write(notice, stream); return Task.CompletedTask; }, ct);
        return new Executed(head.AdmDivCode, head.VoucherNo, dueDate, head.ReturnCount, new Money(head.ReturnFen), written.Path);
    }
}
