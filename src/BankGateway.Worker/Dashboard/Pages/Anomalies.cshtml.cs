using BankGateway.Worker.Hosting;
using BankGateway.Worker.Supervision;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>
/// 异常线索: the contract §15 rules A01–A05 over a window of business dates, through <see cref="AnomalyRun.FindAsync"/> (the
/// SQL and masking of <c>anomalies run</c>), listed per rule with a count, each line linked to its traceability page.
/// Personal data shows its last 4 characters only. Every view is audited (<c>anomalies.view</c>).
/// </summary>
public sealed class AnomaliesModel : DashboardPage
{
    /// <summary>Lines listed per rule on screen; the count above each list is complete (the YC_ file has all).</summary>
    public const int ShownPerRule = 500;

    [BindProperty(SupportsGet = true, Name = "from")] public DateOnly? From { get; set; }
    [BindProperty(SupportsGet = true, Name = "to")] public DateOnly? To { get; set; }

    public string? Error { get; private set; }
    internal IReadOnlyList<AnomalyRun.Finding> Findings { get; private set; } = [];
    public IReadOnlyDictionary<string, long> Counts { get; private set; } = new Dictionary<string, long>();
    public IReadOnlyList<(string Code, string Description)> Rules { get; } = AnomalyRules.All.Select(r => (r.Code, r.Description)).ToList();

    public async Task OnGetAsync()
    {
        var ct = HttpContext.RequestAborted;
        // Default as the nightly job: month to date, from the 1st of yesterday's month to yesterday.
        var yesterday = HttpContext.RequestServices.GetRequiredService<GatewayClock>().Today.AddDays(-1);
        To ??= yesterday;
        From ??= new DateOnly(To.Value.Year, To.Value.Month, 1);
        if (From > To)
        {
            Error = "开始日期晚于结束日期。";
            return;
        }
        if (To.Value.DayNumber - From.Value.DayNumber > 366)
        {
            Error = "查询区间最长一年。";
            return;
        }
        (Findings, Counts) = await HttpContext.RequestServices.GetRequiredService<AnomalyRun>().FindAsync(From.Value, To.Value, ShownPerRule, ct);

        var db = HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await db.OpenConnectionAsync(ct);
        string summary = string.Join(", ", Counts.Select(c => $"{c.Key} {c.Value}"));
        await AuditChain.AppendAsync(connection, null, Actor, "anomalies.view", $"{From:yyyy-MM-dd}..{To:yyyy-MM-dd}", summary, ct);
    }
}
