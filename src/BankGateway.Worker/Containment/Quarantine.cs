using BankGateway.Domain.States;
using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using BankGateway.Worker.States;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Containment;

/// <summary>
/// Contract §12, "one bad set never stops the others": whatever fails unexpectedly while taking, posting or
/// answering one set or voucher is held here, with an alarm (log at error level, the
/// <c>bankgateway_quarantined</c> gauge, the dashboard overview), until an operator releases it. The run
/// goes on with everything else. A failure of the database itself is not a fault of the set: it is
/// rethrown (see <see cref="IsFaultOfTheWork"/>) and the next pass tries again.
/// </summary>
internal sealed class Quarantine(NpgsqlDataSource db, GatewayClock clock, ILogger<Quarantine> logger)
{
    public sealed record Held(long Id, string Kind, string AdmDivCode, string VoucherNo, long? VoucherId, string? FileName, string Error, DateTime CreatedAt);

    /// <summary>
    /// True when <paramref name="e"/> belongs to the work item and not to the machine: a lost connection, a
    /// server shutting down or failing over, a deadlock or a cancellation are retried, never quarantined.
    /// </summary>
    public static bool IsFaultOfTheWork(Exception e, CancellationToken ct) =>
        !(e is OperationCanceledException && ct.IsCancellationRequested) && !Database.DatabaseFaults.IsTransient(e);

    /// <summary>What identifies a set while it is held: its voucher file name and the SM3 of the voucher and .sig bytes.</summary>
    public static async Task<string> SetKeyAsync(VoucherSet set, CancellationToken ct) =>
        $"{set.VoucherFileName}:{await Sm3.HashFileHexAsync(set.VoucherPath, ct)}:{await Sm3.HashFileHexAsync(set.SigPath, ct)}";

    public async Task<bool> IsSetHeldAsync(string setKey, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from quarantine where kind = 'SET' and set_key = @setKey and released_at is null)", new { setKey }, cancellationToken: ct));
    }

    /// <summary>Holds a set that could not be taken; it stays in the inbox, skipped, until released.</summary>
    public async Task HoldSetAsync(VoucherSet set, string setKey, Exception e, CancellationToken ct)
    {
        logger.LogError(e, "ALARM quarantine: set {Voucher} could not be taken and is held until an operator releases it: {Message}", set.VoucherFileName, e.Message);
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into quarantine (kind, set_key, adm_div_code, voucher_no, file_name, error, created_at)
            values ('SET', @setKey, @adm, @no, @file, @error, @now) on conflict do nothing
            """, new { setKey, adm = set.AdmDivCode, no = set.VoucherNo, file = set.VoucherFileName, error = Describe(e), now = clock.UtcNow },
            cancellationToken: CancellationToken.None));
    }

    /// <summary>Holds a voucher whose posting failed: HELD with the reason, so no worker claims it again until released.</summary>
    public async Task HoldVoucherAsync(long voucherId, Exception e, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await using var tx = await connection.BeginTransactionAsync(CancellationToken.None);
        var v = await connection.QuerySingleAsync<(string Adm, string No)>(new CommandDefinition("""
            update vouchers set status = @held, hold_reason = @reason, claimed_by = null, claim_pid = null, claim_expires_at = null
            where id = @voucherId and status in (@received, @posting, @held)
            returning adm_div_code, voucher_no
            """, new { voucherId, reason = "quarantine: " + Describe(e), held = VoucherStatus.Held, received = VoucherStatus.Received, posting = VoucherStatus.Posting }, tx, cancellationToken: CancellationToken.None));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into quarantine (kind, adm_div_code, voucher_no, voucher_id, error, created_at)
            values ('VOUCHER', @adm, @no, @voucherId, @error, @now) on conflict do nothing;
            insert into audit_log (actor, action, subject, detail) values ('system', 'quarantine.voucher', @subject, @error);
            """, new { adm = v.Adm, no = v.No, voucherId, error = Describe(e), now = clock.UtcNow, subject = $"{v.Adm}/{v.No}" }, tx,
            cancellationToken: CancellationToken.None));
        await tx.CommitAsync(CancellationToken.None);
        logger.LogError(e, "ALARM quarantine: voucher {Adm}/{VoucherNo} could not be posted and is held until an operator releases it: {Message}", v.Adm, v.No, e.Message);
    }

    /// <summary>Holds a completed voucher whose answer (HD_/RS_) could not be written; it is not tried again until released.</summary>
    public async Task HoldAnswerAsync(long voucherId, Exception e, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        var v = await connection.QuerySingleAsync<(string Adm, string No)>(new CommandDefinition(
            "select adm_div_code, voucher_no from vouchers where id = @voucherId", new { voucherId }, cancellationToken: CancellationToken.None));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into quarantine (kind, adm_div_code, voucher_no, voucher_id, error, created_at)
            values ('ANSWER', @adm, @no, @voucherId, @error, @now) on conflict do nothing
            """, new { adm = v.Adm, no = v.No, voucherId, error = Describe(e), now = clock.UtcNow }, cancellationToken: CancellationToken.None));
        logger.LogError(e, "ALARM quarantine: the answer to voucher {Adm}/{VoucherNo} could not be written and is held until an operator releases it: {Message}", v.Adm, v.No, e.Message);
    }

    public async Task<IReadOnlyList<Held>> OpenAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Held>(new CommandDefinition("""
            select id, kind, adm_div_code, voucher_no, voucher_id, file_name, error, created_at
            from quarantine where released_at is null order by id
            """, cancellationToken: ct))).ToList();
    }

    /// <summary>Releases one held item (audited): a set is taken again on the next pass, a voucher goes back to posting, an answer is written again.</summary>
    public async Task<bool> ReleaseAsync(long id, string actor, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var held = await connection.QuerySingleOrDefaultAsync<(string Kind, long? VoucherId, string Adm, string No)?>(new CommandDefinition("""
            update quarantine set released_at = @now, released_by = @actor where id = @id and released_at is null
            returning kind, voucher_id, adm_div_code, voucher_no
            """, new { id, actor, now = clock.UtcNow }, tx, cancellationToken: ct));
        if (held is not { } h) return false;
        if (h.Kind == "VOUCHER")
        {
            await VoucherTransitions.SetContextAsync(connection, tx, actor, "quarantine.release", ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "update vouchers set status = @received, hold_reason = null where id = @id and status = @held",
                new { id = h.VoucherId, received = VoucherStatus.Received, held = VoucherStatus.Held }, tx, cancellationToken: ct));
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into audit_log (actor, action, subject, detail) values (@actor, 'quarantine.release', @subject, @kind)",
            new { actor, subject = $"{h.Adm}/{h.No}", kind = h.Kind }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return true;
    }

    // What an operator reads: the message chain, bounded; no stack trace (logs have it).
    private static string Describe(Exception e)
    {
        var text = e is PostgresException p ? $"{p.SqlState}: {p.MessageText}" : $"{e.GetType().Name}: {e.Message}";
        if (e.InnerException is { } inner) text += $" ({inner.GetType().Name}: {inner.Message})";
        return Domain.Text.TextPreview.Shorten(text, 500);
    }
}
