using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>The overview: state counts, vouchers in flight with their progress, per-bureau per-day totals, returns, risks, channels.</summary>
public sealed class IndexModel : DashboardPage
{
    public Overview Overview { get; private set; } = new();

    public SummaryJson? Summary { get; private set; }

    public long Count(string key) => Summary?.Counts.GetValueOrDefault(key) ?? 0;

    public string? CircuitState(string adm) => HttpContext.RequestServices.GetService<IChannelControl>()?.CircuitState(adm);

    public async Task OnGetAsync()
    {
        Overview = await Queries.OverviewAsync(HttpContext.RequestAborted);
        Summary = await Queries.SummaryAsync([], HttpContext.RequestAborted);
    }

    public async Task<IActionResult> OnPostRetryChannelAsync([FromForm] string? adm, [FromForm] bool confirm)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        if (string.IsNullOrWhiteSpace(adm) || adm.Length != 6 || !adm.All(char.IsAsciiDigit)) return BadRequest();
        Flash = confirm ? (await Actions.RetryChannelAsync(adm, Actor, HttpContext.RequestAborted)).Message : "请勾选“确认”后再提交。";
        return RedirectToPage();
    }
}
