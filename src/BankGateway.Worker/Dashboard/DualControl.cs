using System.Text.Json;
using BankGateway.Worker.Containment;
using BankGateway.Worker.Hosting;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Dashboard;

/// <summary>The actions under dual control (双人复核) and their configuration names, <c>Gateway:Dashboard:DualControl:&lt;Action&gt;</c>.</summary>
public static class DualControlActions
{
    public const string Release = "Release";
    public const string ExecuteReturn = "ExecuteReturn";
    public const string Reveal = "Reveal";
    public const string Users = "Users";
    public const string QuarantineRelease = "QuarantineRelease";

    public static readonly IReadOnlyList<string> All = [Release, ExecuteReturn, Reveal, Users, QuarantineRelease];

    public static string Label(string action) => action switch
    {
        Release => "恢复入账",
        ExecuteReturn => "立即执行退回",
        Reveal => "查看完整信息",
        Users => "用户与角色变更",
        QuarantineRelease => "解除隔离",
        _ => action,
    };
}

/// <summary>One request of table <c>approval_requests</c>.</summary>
public sealed record ApprovalRequest(long Id, string Action, string Subject, string Summary, string Params, string Reason,
    string RequestedBy, DateTime RequestedAt, DateTime ExpiresAt, string Status, string? DecidedBy, DateTime? DecidedAt,
    string? DecisionNote, string? Outcome, DateTime? RevealUntil);

/// <summary>The inputs of a requested action, kept as JSON until it is approved (never a password, never a revealed value).</summary>
public sealed record ApprovalParams
{
    public long? VoucherId { get; init; }
    public string? Expected { get; init; }
    public int? Row { get; init; }
    public string? Field { get; init; }
    public long? QuarantineId { get; init; }
    /// <summary>Users: <c>save</c> or <c>remove</c>.</summary>
    public string? UserOp { get; init; }
    public string? UserName { get; init; }
    public string? Role { get; init; }
    public string? PasswordHash { get; init; }
}

/// <summary>
/// Dual control (双人复核), all of it: one operator requests a sensitive action with a reason, a different operator
/// (an admin for user changes) approves or rejects it before it expires; on approval the action runs in the
/// approver's request through the one existing implementation (<see cref="VoucherActions"/>, <see cref="UserStore"/>,
/// <see cref="Quarantine"/>) with both names as the actor. An approved reveal is not shown to the approver: the
/// requester sees it on the request's page for <c>RevealMinutes</c>, each showing audited. Request, approval,
/// rejection, expiry and execution are each written to audit_log. The requester can never approve or reject
/// their own request: the check is in the SQL that decides, whatever the page showed.
/// </summary>
internal sealed class DualControl(NpgsqlDataSource db, GatewayClock clock, DashboardOptions options, IServiceProvider services, ILogger<DualControl> logger)
{
    private const string Columns = """
        id, action, subject, summary, params, reason, requested_by, requested_at, expires_at, status,
        decided_by, decided_at, decision_note, outcome, reveal_until
        """;

    public bool IsOn(string action) => options.IsDual(action);

    /// <summary>The actor written by an executed request: both names.</summary>
    public static string BothNames(string approver, string requester, long id) => $"{approver}（复核批准 {requester} 的申请 #{id}）";

    /// <summary>Records a request (audited). Returns the outcome to show: the request number, or why nothing was recorded.</summary>
    public async Task<(long? Id, string Message)> RequestAsync(string action, string subject, string summary, ApprovalParams p, string? reason, string requester, CancellationToken ct)
    {
        if (!DualControlActions.All.Contains(action)) throw new ArgumentException($"unknown action {action}", nameof(action));
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason)) return (null, "须填写申请理由，未提交复核申请。");
        if (reason.Length > 500) reason = reason[..500];
        var now = clock.UtcNow;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        long id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            insert into approval_requests (action, subject, summary, params, reason, requested_by, requested_at, expires_at)
            values (@action, @subject, @summary, @params, @reason, @requester, @now, @expires) returning id
            """, new { action, subject, summary, @params = JsonSerializer.Serialize(p), reason, requester, now, expires = now.AddHours(options.DualControlExpiryHours) },
            tx, cancellationToken: ct));
        await UserStore.Audit(connection, tx, requester, "approval.request", subject, $"#{id} {DualControlActions.Label(action)}：{summary}；理由：{reason}", ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Dual control: {Requester} requested #{Id} {Action} on {Subject}", requester, id, action, subject);
        return (id, $"已提交复核申请 #{id}（{DualControlActions.Label(action)}），须由另一位{(action == DualControlActions.Users ? "管理员" : "操作员")}在 /approvals 批准后才执行。");
    }

    /// <summary>Marks every pending request past its expiry EXPIRED, each audited.</summary>
    public async Task ExpireAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var expired = (await connection.QueryAsync<(long Id, string Subject, string Action)>(new CommandDefinition("""
            update approval_requests set status = 'EXPIRED', decided_at = @now
            where status = 'PENDING' and expires_at <= @now returning id, subject, action
            """, new { now = clock.UtcNow }, tx, cancellationToken: ct))).ToList();
        foreach (var e in expired)
            await UserStore.Audit(connection, tx, "system", "approval.expire", e.Subject, $"#{e.Id} {DualControlActions.Label(e.Action)}：超过 {options.DualControlExpiryHours} 小时未批准，已失效", ct);
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<ApprovalRequest>> PendingAsync(CancellationToken ct)
    {
        await ExpireAsync(ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ApprovalRequest>(new CommandDefinition(
            $"select {Columns} from approval_requests where status = 'PENDING' order by id", cancellationToken: ct))).ToList();
    }

    public async Task<IReadOnlyList<ApprovalRequest>> RecentAsync(int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<ApprovalRequest>(new CommandDefinition(
            $"select {Columns} from approval_requests where status <> 'PENDING' order by id desc limit @limit", new { limit }, cancellationToken: ct))).ToList();
    }

    public async Task<ApprovalRequest?> FindAsync(long id, CancellationToken ct)
    {
        await ExpireAsync(ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ApprovalRequest>(new CommandDefinition(
            $"select {Columns} from approval_requests where id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>
    /// Approves a pending, unexpired request of someone else and executes it (audited with both names). Refused,
    /// with nothing changed, when the approver is the requester, lacks the role, or the request is no longer pending.
    /// </summary>
    public async Task<ActionOutcome> ApproveAsync(long id, string approver, bool approverIsAdmin, CancellationToken ct)
    {
        var (claimed, refusal) = await DecideAsync(id, approver, approverIsAdmin, "APPROVED", null, ct);
        if (claimed is null) return new ActionOutcome(false, refusal!);
        var r = claimed;
        ActionOutcome outcome;
        try
        {
            outcome = await ExecuteAsync(r, approver, ct);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or PostgresException)
        {
            logger.LogError(e, "Dual control: approved request #{Id} failed to execute", id);
            outcome = new ActionOutcome(false, $"执行失败：{e.Message}");
        }
        await using var connection = await db.OpenConnectionAsync(CancellationToken.None);
        await using var tx = await connection.BeginTransactionAsync(CancellationToken.None);
        await connection.ExecuteAsync(new CommandDefinition(
            "update approval_requests set outcome = @outcome where id = @id", new { id, outcome = outcome.Message }, tx, cancellationToken: CancellationToken.None));
        await UserStore.Audit(connection, tx, BothNames(approver, r.RequestedBy, id), "approval.execute", r.Subject,
            $"#{id} {DualControlActions.Label(r.Action)}：{outcome.Message}", CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return new ActionOutcome(outcome.Changed, $"已批准 {r.RequestedBy} 的申请 #{id}：{outcome.Message}");
    }

    /// <summary>Rejects a pending request of someone else (audited); the action is not executed.</summary>
    public async Task<ActionOutcome> RejectAsync(long id, string approver, bool approverIsAdmin, string? note, CancellationToken ct)
    {
        var (claimed, refusal) = await DecideAsync(id, approver, approverIsAdmin, "REJECTED", note, ct);
        return claimed is null ? new ActionOutcome(false, refusal!) : new ActionOutcome(true, $"已驳回 {claimed.RequestedBy} 的申请 #{id}，未执行。");
    }

    private async Task<(ApprovalRequest? Claimed, string? Refusal)> DecideAsync(long id, string approver, bool approverIsAdmin, string status, string? note, CancellationToken ct)
    {
        await ExpireAsync(ct);
        var now = clock.UtcNow;
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim()[..Math.Min(note.Trim().Length, 500)];
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The one decision: pending, unexpired, someone else's, and (for user changes) an admin's. Nothing else passes.
        var claimed = await connection.QuerySingleOrDefaultAsync<ApprovalRequest>(new CommandDefinition($"""
            update approval_requests set status = @status, decided_by = @approver, decided_at = @now, decision_note = @note,
                reveal_until = case when @status = 'APPROVED' and action = 'Reveal' then @revealUntil end
            where id = @id and status = 'PENDING' and expires_at > @now and requested_by <> @approver
              and (action <> 'Users' or @approverIsAdmin)
            returning {Columns}
            """, new { id, status, approver, now, note, approverIsAdmin, revealUntil = now.AddMinutes(options.DualControlRevealMinutes) },
            tx, cancellationToken: ct));
        if (claimed is null)
        {
            var r = await connection.QuerySingleOrDefaultAsync<ApprovalRequest>(new CommandDefinition(
                $"select {Columns} from approval_requests where id = @id", new { id }, tx, cancellationToken: ct));
            string refusal = r is null ? "复核申请不存在。"
                : r.RequestedBy == approver ? $"不能{(status == "APPROVED" ? "批准" : "驳回")}自己提交的申请 #{id}：须由另一位操作员复核，未做任何更改。"
                : r.Status != "PENDING" ? $"申请 #{id} 已{StatusLabel(r.Status)}，未做更改。"
                : r.Action == DualControlActions.Users && !approverIsAdmin ? "用户与角色变更须由管理员复核，未做更改。"
                : $"申请 #{id} 已过期，未做更改。";
            if (r is not null)
                await UserStore.Audit(connection, tx, approver, "approval.refused", r.Subject, $"#{id} {(status == "APPROVED" ? "批准" : "驳回")}被拒绝：{refusal}", ct);
            await tx.CommitAsync(ct);
            return (null, refusal);
        }
        await UserStore.Audit(connection, tx, approver, status == "APPROVED" ? "approval.approve" : "approval.reject", claimed.Subject,
            $"#{id} {DualControlActions.Label(claimed.Action)}：申请人 {claimed.RequestedBy}，复核人 {approver}{(note is null ? "" : "；意见：" + note)}", ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Dual control: {Approver} {Status} #{Id} of {Requester}", approver, status, id, claimed.RequestedBy);
        return (claimed, null);
    }

    // The existing implementations, run with both names as the actor.
    private async Task<ActionOutcome> ExecuteAsync(ApprovalRequest r, string approver, CancellationToken ct)
    {
        var p = JsonSerializer.Deserialize<ApprovalParams>(r.Params) ?? throw new InvalidOperationException($"request #{r.Id} has no parameters");
        string actor = BothNames(approver, r.RequestedBy, r.Id);
        var actions = services.GetRequiredService<VoucherActions>();
        switch (r.Action)
        {
            case DualControlActions.Release:
                return await actions.ReleaseAsync(p.VoucherId!.Value, p.Expected ?? "", actor, ct, r.Reason);
            case DualControlActions.ExecuteReturn:
                return await actions.ExecuteReturnAsync(p.VoucherId!.Value, p.Expected ?? "", actor, ct);
            case DualControlActions.Reveal:
                return new ActionOutcome(true, $"申请人 {r.RequestedBy} 可在 {options.DualControlRevealMinutes} 分钟内于申请页面查看（复核人不显示该值）。");
            case DualControlActions.QuarantineRelease:
                return await services.GetRequiredService<Quarantine>().ReleaseAsync(p.QuarantineId!.Value, actor, ct)
                    ? new ActionOutcome(true, "已解除隔离，下一轮处理将重试。") : new ActionOutcome(false, "该隔离项不存在或已被他人解除。");
            case DualControlActions.Users:
                var users = services.GetRequiredService<UserStore>();
                if (p.UserOp == "remove")
                    return await users.RemoveAsync(p.UserName!, actor, ct)
                        ? new ActionOutcome(true, $"已删除用户 {p.UserName}。") : new ActionOutcome(false, "用户不存在，未做更改。");
                return await users.AddOrUpdateHashedAsync(p.UserName!, p.Role!, p.PasswordHash!, actor, ct)
                    ? new ActionOutcome(true, $"已新增用户 {p.UserName}（{Roles.Label(p.Role!)}）。") : new ActionOutcome(true, $"已修改用户 {p.UserName}（{Roles.Label(p.Role!)}）。");
            default:
                throw new InvalidOperationException($"unknown action {r.Action}");
        }
    }

    /// <summary>
    /// The approved reveal, for its requester only and only until <c>reveal_until</c>: read through
    /// <see cref="VoucherActions.RevealAsync"/> (audited on every showing, with both names). Null otherwise.
    /// </summary>
    public async Task<string?> RevealForRequesterAsync(ApprovalRequest r, string viewer, CancellationToken ct)
    {
        if (r.Action != DualControlActions.Reveal || r.Status != "APPROVED" || r.RequestedBy != viewer || r.DecidedBy is null) return null;
        if (r.RevealUntil is not { } until || new DateTimeOffset(DateTime.SpecifyKind(until, DateTimeKind.Utc)) <= clock.UtcNow) return null;
        var p = JsonSerializer.Deserialize<ApprovalParams>(r.Params)!;
        return await services.GetRequiredService<VoucherActions>().RevealAsync(p.VoucherId!.Value, p.Row!.Value, p.Field ?? "",
            $"{viewer}（经 {r.DecidedBy} 复核批准 #{r.Id}）", ct);
    }

    public static string StatusLabel(string status) => status switch
    {
        "PENDING" => "待复核",
        "APPROVED" => "批准",
        "REJECTED" => "驳回",
        "EXPIRED" => "过期",
        _ => status,
    };
}
