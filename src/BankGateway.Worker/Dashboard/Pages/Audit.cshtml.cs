using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>The append-only audit log, newest first, 100 per page.</summary>
public sealed class AuditModel : DashboardPage
{
    [BindProperty(SupportsGet = true, Name = "actor")] public string? ActorFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "action")] public string? ActionFilter { get; set; }
    [BindProperty(SupportsGet = true, Name = "before")] public long? Before { get; set; }

    public IReadOnlyList<AuditRow> Rows { get; private set; } = [];

    /// <summary>The latest audit chain verification (nightly job or <c>audit verify</c>); null when never verified.</summary>
    internal Supervision.AuditVerifier.Recorded? Chain { get; private set; }

    public async Task OnGetAsync()
    {
        Rows = await Queries.AuditAsync(ActorFilter, ActionFilter, Before, HttpContext.RequestAborted);
        Chain = await HttpContext.RequestServices.GetRequiredService<Supervision.AuditVerifier>().LastAsync(HttpContext.RequestAborted);
    }
}
