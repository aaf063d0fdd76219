using BankGateway.Domain.States;
using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Delivery;
using BankGateway.Worker.Results;
using BankGateway.Worker.Returns;
using BankGateway.Worker.States;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Dashboard;

/// <summary>What an operator action came to: whether it changed anything, and a sentence for the screen.</summary>
public sealed record ActionOutcome(bool Changed, string Message);

/// <summary>
/// The operator actions. Each names the state it expects and changes nothing when the voucher is no
/// longer in it, so a double click or a stale page is harmless; each effective action is written to
/// audit_log with the operator's name in the same transaction as the change (or by the owning stage).
/// </summary>
internal sealed class VoucherActions(
    NpgsqlDataSource db,
    GatewayClock clock,
    DashboardOptions options,
    IConfiguration configuration,
    IServiceProvider services,
    ILogger<VoucherActions> logger)
{
    public Task<ActionOutcome> HoldAsync(long id, string expected, string actor, CancellationToken ct) =>
        ChangeStateAsync(id, expected, from: VoucherStatus.Received, to: VoucherStatus.Held, "voucher.hold", actor, ct);

    public Task<ActionOutcome> ReleaseAsync(long id, string expected, string actor, CancellationToken ct, string? reason = null) =>
        ChangeStateAsync(id, expected, from: VoucherStatus.Held, to: VoucherStatus.Received, "voucher.release", actor, ct, reason);

    // A voucher a live worker has claimed may be starting to post: it is not held under it.
    private async Task<ActionOutcome> ChangeStateAsync(long id, string expected, VoucherStatus from, VoucherStatus to, string action, string actor, CancellationToken ct, string? reason = null)
    {
        if (expected != from.Text) return new ActionOutcome(false, $"只能在{Display.State(from)}状态下执行此操作。");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await VoucherTransitions.SetContextAsync(connection, tx, actor, reason ?? action, ct);
        var subject = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition("""
            update vouchers v set status = @to
            where id = @id and status = @from
              and (claimed_by is null or claim_expires_at < now()
                   or not exists (select 1 from pg_stat_activity a where a.pid = v.claim_pid))
            returning adm_div_code || '/' || voucher_no
            """, new { id, from, to }, tx, cancellationToken: ct));
        if (subject is null)
        {
            await tx.RollbackAsync(ct);
            var now = await CurrentStateAsync(id, ct);
            return new ActionOutcome(false, now is null ? "凭证不存在。" :
                now == from ? "凭证正被入账进程处理，未做更改。" : $"凭证当前为{Display.State(now)}，未做更改（可能已被他人处理）。");
        }
        if (to == VoucherStatus.Received)
            // Releasing a voucher that posting had quarantined ends its quarantine too (contract §12).
            await connection.ExecuteAsync(new CommandDefinition("""
                update vouchers set hold_reason = null where id = @id;
                update quarantine set released_at = now(), released_by = @actor where kind = 'VOUCHER' and voucher_id = @id and released_at is null;
                """, new { id, actor }, tx, cancellationToken: ct));
        await UserStore.Audit(connection, tx, actor, action, subject, $"{Display.State(from)} → {Display.State(to)}", ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Dashboard: {Actor} changed voucher {Subject} from {From} to {To}", actor, subject, from, to);
        return new ActionOutcome(true, $"凭证 {subject} 已{(to == VoucherStatus.Held ? "暂停入账" : "恢复入账")}。");
    }

    /// <summary>
    /// Re-sends a completed voucher's RS_ and HD_, and its TH_ when its return was executed: a new delivery row for
    /// each (audited), so the delivery stage of whichever node has the channel puts them at the bureau again, byte
    /// for byte as first produced (D35). Where this process knows a local outbox, the local copies are restored too.
    /// </summary>
    public async Task<ActionOutcome> ResendAsync(long id, string expected, string actor, CancellationToken ct)
    {
        var v = await services.GetRequiredService<DashboardQueries>().VoucherAsync(id, ct);
        if (v is null) return new ActionOutcome(false, "凭证不存在。");
        if (expected != VoucherStatus.Completed.Text || v.Status != VoucherStatus.Completed)
            return new ActionOutcome(false, $"凭证当前为{Display.State(v.Status)}，只有已完成的凭证才有可重发的回单和明细结果。");
        if (OutboxFor(v.AdmDivCode) is { } outbox)
        {
            try
            {
                await services.GetRequiredService<VoucherResults>().WriteAsync(id, outbox, ct);
                if (await ReturnNoticeAsync(id, ct) is { } notice)
                    await services.GetRequiredService<OutboundFiles>().KeepLocalCopyAsync(Path.Combine(outbox, notice.FileName), notice.FileName, notice.Sm3, ct);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or KeyFileException or OutboundIntegrityException)
            {
                logger.LogError(e, "Dashboard: re-send of {Voucher} failed", v.Subject);
                return new ActionOutcome(false, $"重发失败：{e.Message}");
            }
        }
        return await QueueResendAsync(actor, "voucher.resend", v.Subject,
            "select file_name from outbound_files where voucher_id = @id and kind in ('RS', 'HD', 'TH')", new { id }, ct);
    }

    /// <summary>Re-sends a rejected delivery's RJ_ notice the same way (a new delivery row, audited; the local copy restored where known).</summary>
    public async Task<ActionOutcome> ResendRejectionAsync(long deliveryId, string expected, string actor, CancellationToken ct)
    {
        var d = await services.GetRequiredService<DashboardQueries>().DeliveryAsync(deliveryId, ct);
        if (d is null) return new ActionOutcome(false, "收件记录不存在。");
        if (expected != DeliveryOutcome.Rejected.Text || d.Outcome != DeliveryOutcome.Rejected)
            return new ActionOutcome(false, "只有被拒绝的收件才有可重发的拒绝通知。");
        if (OutboxFor(d.AdmDivCode) is { } outbox)
        {
            try
            {
                await services.GetRequiredService<RejectionResults>().WriteAsync(deliveryId, outbox, ct);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or KeyFileException or ArgumentException or OutboundIntegrityException)
            {
                logger.LogError(e, "Dashboard: re-send of the rejection notice of delivery {Delivery} failed", deliveryId);
                return new ActionOutcome(false, $"重发失败：{e.Message}");
            }
        }
        return await QueueResendAsync(actor, "delivery.resend", DashboardQueries.DeliverySubject(deliveryId),
            "select file_name from outbound_files where source = @source", new { source = $"delivery:{deliveryId}" }, ct);
    }

    private async Task<ActionOutcome> QueueResendAsync(string actor, string action, string subject, string filesSql, object args, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var files = await connection.QueryAsync<string>(new CommandDefinition(filesSql, args, tx, cancellationToken: ct));
        var queued = await DeliveryQueue.RequestResendAsync(connection, tx, files, actor, ct);
        if (queued.Count == 0) return new ActionOutcome(false, "没有可重发的文件（尚未生成）。");
        await UserStore.Audit(connection, tx, actor, action, subject, $"{string.Join(", ", queued)} queued for delivery", ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Dashboard: {Actor} re-sent {Files} ({Subject})", actor, string.Join(", ", queued), subject);
        return new ActionOutcome(true, $"已重发 {string.Join("、", queued)}：已排队发送给财政（内容与首次生成逐字节一致）。");
    }

    private async Task<OutboundFileRow?> ReturnNoticeAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<OutboundFileRow>(new CommandDefinition(
            "select file_name, kind, sm3, size_bytes, archive_path, created_at from outbound_files where voucher_id = @id and kind = 'TH'",
            new { id }, cancellationToken: ct));
    }

    /// <summary>Executes this voucher's due return now (and, as the scheduled run would, any other return due by the same day).</summary>
    public async Task<ActionOutcome> ExecuteReturnAsync(long id, string expected, string actor, CancellationToken ct)
    {
        var v = await services.GetRequiredService<DashboardQueries>().VoucherAsync(id, ct);
        if (v is null) return new ActionOutcome(false, "凭证不存在。");
        if (expected != ReturnStatus.Scheduled.Text || v.ReturnStatus != ReturnStatus.Scheduled || v.ReturnDue is not { } due)
            return new ActionOutcome(false, v.ReturnStatus == ReturnStatus.Executed ? "退回已执行，未做更改。" : "该凭证没有待执行的退回。");
        if (due > clock.Today) return new ActionOutcome(false, $"退回应于 {Display.Date(due)} 执行，尚未到期。");
        if (OutboxFor(v.AdmDivCode) is null)
            return new ActionOutcome(false, $"区划 {v.AdmDivCode} 没有本地发件箱：请配置 Gateway:Dashboard:ResendOutbox 或该通道的 Outbox（Kind=Local）。");
        try
        {
            var done = await services.GetRequiredService<ReturnService>().RunAsync(due,
                adm => OutboxFor(adm) ?? throw new InvalidOperationException($"no local outbox for bureau {adm}"), actor, ct);
            var mine = done.FirstOrDefault(e => e.AdmDivCode == v.AdmDivCode && e.VoucherNo == v.VoucherNo);
            return mine is null
                ? new ActionOutcome(false, "退回已由其他进程执行，未做更改。")
                : new ActionOutcome(true, $"已执行退回 {mine.Count} 笔 {mine.Amount.ToDisplayString()} 元，退回通知 {Path.GetFileName(mine.NoticePath)} 已写入。");
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or KeyFileException)
        {
            logger.LogError(e, "Dashboard: return of {Voucher} failed", v.Subject);
            return new ActionOutcome(false, $"执行退回失败：{e.Message}");
        }
    }

    /// <summary>Asks the service to poll a bureau's channel now; without a running service the request is only recorded.</summary>
    public async Task<ActionOutcome> RetryChannelAsync(string admDivCode, string actor, CancellationToken ct)
    {
        string message;
        if (services.GetService<IChannelControl>() is { } control)
            message = await control.RetryNowAsync(admDivCode, ct);
        else
            message = "已记录重试请求（本进程未运行通道服务，服务将在下次轮询时处理）。";
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await UserStore.Audit(connection, tx, actor, "channel.retry", admDivCode, message, ct);
        await tx.CommitAsync(ct);
        return new ActionOutcome(true, $"通道 {admDivCode}：{message}");
    }

    /// <summary>Shows one full ID number or account number of a line to an operator, audited (the value itself is not logged).</summary>
    public async Task<string?> RevealAsync(long id, int rowNo, string field, string actor, CancellationToken ct)
    {
        var line = await services.GetRequiredService<DashboardQueries>().LineAsync(id, rowNo, ct);
        if (line is null || field is not ("id" or "account")) return null;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await UserStore.Audit(connection, tx, actor, "reveal", $"{line.AdmDivCode}/{line.VoucherNo}",
            $"序号 {line.SeqNo} {(field == "id" ? "证件号码" : "银行账号")}", ct);
        await tx.CommitAsync(ct);
        return field == "id" ? line.IdNumber : line.AccountNo;
    }

    /// <summary>Gateway:Dashboard:ResendOutbox, else the running channel's local outbox, else a configured Local channel's Outbox.</summary>
    public string? OutboxFor(string admDivCode)
    {
        if (options.ResendOutbox is { } configured) return configured;
        if (services.GetService<ChannelRegistry>()?.OutboxFor(admDivCode) is { } channel) return channel;
        foreach (var c in configuration.GetSection("Gateway:Channels").GetChildren())
        {
            if (c["AdmDivCode"] == admDivCode && string.Equals(c["Kind"], "Local", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(c["Outbox"]))
                return c["Outbox"];
        }
        return null;
    }

    private async Task<VoucherStatus?> CurrentStateAsync(long id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<VoucherStatus>(new CommandDefinition("select status from vouchers where id = @id", new { id }, cancellationToken: ct));
    }
}
