using Microsoft.AspNetCore.Mvc;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>
/// Dual control (双人复核): pending requests with approve / reject forms (antiforgery POST, confirm checkbox),
/// the latest decided ones, and one request's page (<c>/approvals/{id}</c>) where the requester of an approved
/// reveal sees the value for a short time. The requester's own requests show no forms, and the server refuses
/// them anyway (<see cref="DualControl"/>).
/// </summary>
public sealed class ApprovalsModel : DashboardPage
{
    [BindProperty(SupportsGet = true, Name = "id")] public long? Id { get; set; }

    public IReadOnlyList<ApprovalRequest> Pending { get; private set; } = [];
    public IReadOnlyList<ApprovalRequest> Recent { get; private set; } = [];
    public ApprovalRequest? One { get; private set; }

    /// <summary>The approved reveal, for its requester only (never kept, audited on each showing).</summary>
    public string? Revealed { get; private set; }

    public bool IsAdmin => User.IsInRole(Roles.Admin);

    /// <summary>Whether this user may decide <paramref name="r"/>: someone else's, and an admin's for user changes.</summary>
    public bool MayDecide(ApprovalRequest r) => CanAct && r.RequestedBy != Actor && (r.Action != DualControlActions.Users || IsAdmin);

    public async Task<IActionResult> OnGetAsync()
    {
        var ct = HttpContext.RequestAborted;
        if (Id is { } id)
        {
            One = await Dual.FindAsync(id, ct);
            if (One is null) return NotFound();
            Revealed = await Dual.RevealForRequesterAsync(One, Actor, ct);
        }
        Pending = await Dual.PendingAsync(ct);
        Recent = await Dual.RecentAsync(30, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostApproveAsync([FromForm] long request, [FromForm] bool confirm)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        if (!confirm) Flash = "请勾选“确认”后再提交，未做任何更改。";
        else
        {
            var outcome = await Dual.ApproveAsync(request, Actor, IsAdmin, HttpContext.RequestAborted);
            Flash = outcome.Message;
        }
        return Redirect("/approvals");
    }

    public async Task<IActionResult> OnPostRejectAsync([FromForm] long request, [FromForm] bool confirm, [FromForm] string? note)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        Flash = confirm ? (await Dual.RejectAsync(request, Actor, IsAdmin, note, HttpContext.RequestAborted)).Message : "请勾选“确认”后再提交，未做任何更改。";
        return Redirect("/approvals");
    }
}
