using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>The overview: state counts, vouchers in flight with their progress, per-bureau per-day totals, returns, risks, channels.</summary>
public sealed class IndexModel : DashboardPage
{
    public Overview Overview { get; private set; } = new();

    public SummaryJson? Summary { get; private set; }

    public long Count(string key) => Summary?.Counts.GetValueOrDefault(key) ?? 0;

    public long Count(BankGateway.Domain.States.State state) => Count(state.Text);

    /// <summary>How long ago (from now) a notice was created, for the SMS tile: 分钟 / 小时 / 天.</summary>
    public string Age(DateTime createdUtc)
    {
        var age = DateTime.UtcNow - DateTime.SpecifyKind(createdUtc, DateTimeKind.Utc);
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        return age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} 分钟前" : age.TotalHours < 48 ? $"{(int)age.TotalHours} 小时前" : $"{(int)age.TotalDays} 天前";
    }

    public string? CircuitState(string adm) => HttpContext.RequestServices.GetService<IChannelControl>()?.CircuitState(adm);

    public async Task OnGetAsync()
    {
        Overview = await Queries.OverviewAsync(HttpContext.RequestAborted);
        Summary = await Queries.SummaryAsync([], HttpContext.RequestAborted);
    }

    /// <summary>Releases a quarantined set, voucher or answer (contract §12): the next pass tries it again; audited.</summary>
    public async Task<IActionResult> OnPostReleaseQuarantineAsync([FromForm] long id, [FromForm] bool confirm, [FromForm] string? reason)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        if (!confirm) Flash = "请勾选“确认”后再提交。";
        else if (Dual.IsOn(DualControlActions.QuarantineRelease))
        {
            var held = (await HttpContext.RequestServices.GetRequiredService<Containment.Quarantine>().OpenAsync(HttpContext.RequestAborted)).FirstOrDefault(h => h.Id == id);
            Flash = held is null ? "该隔离项不存在或已被他人解除。"
                : (await Dual.RequestAsync(DualControlActions.QuarantineRelease, $"{held.AdmDivCode}/{held.VoucherNo}", $"解除隔离项 #{id}（{held.Kind}）",
                    new ApprovalParams { QuarantineId = id }, reason, Actor, HttpContext.RequestAborted)).Message;
        }
        else Flash = await HttpContext.RequestServices.GetRequiredService<Containment.Quarantine>().ReleaseAsync(id, Actor, HttpContext.RequestAborted)
            ? "已解除隔离，下一轮处理将重试。" : "该隔离项不存在或已被他人解除。";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRetryChannelAsync([FromForm] string? adm, [FromForm] bool confirm)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        if (string.IsNullOrWhiteSpace(adm) || adm.Length != 6 || !adm.All(char.IsAsciiDigit)) return BadRequest();
        Flash = confirm ? (await Actions.RetryChannelAsync(adm, Actor, HttpContext.RequestAborted)).Message : "请勾选“确认”后再提交。";
        return RedirectToPage();
    }
}
