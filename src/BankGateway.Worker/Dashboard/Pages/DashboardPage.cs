using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>Common to the dashboard's pages: the services, the operator's name and the role check of every action.</summary>
public abstract class DashboardPage : PageModel
{
    protected DashboardQueries Queries => HttpContext.RequestServices.GetRequiredService<DashboardQueries>();

    internal VoucherActions Actions => HttpContext.RequestServices.GetRequiredService<VoucherActions>();

    internal DualControl Dual => HttpContext.RequestServices.GetRequiredService<DualControl>();

    /// <summary>True when <paramref name="action"/> needs a second person's approval (Gateway:Dashboard:DualControl).</summary>
    public bool IsDual(string action) => Dual.IsOn(action);

    public string Actor => User.Identity?.Name ?? "?";

    public bool CanAct => DashboardSetup.CanAct(User);

    /// <summary>A message from the action just taken (Post/Redirect/Get through TempData).</summary>
    [TempData]
    public string? Flash { get; set; }

    /// <summary>403 for a role that may not act: the server refuses, whatever the page showed.</summary>
    protected IActionResult? RefuseUnlessOperator() => CanAct ? null : Forbid();
}
