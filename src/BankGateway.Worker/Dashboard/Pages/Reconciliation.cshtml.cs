using BankGateway.Domain.Statements;
using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Reconciliation;
using Dapper;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>
/// 对账: one month's DZ_ figures per bureau, computed by <see cref="ReconciliationStatements.ComputeAsync"/> (the code that
/// writes DZ_, so page and file never differ), each line linked to its voucher, and whether the DZ_ was written (with its SM3).
/// The month travels in the query string (no personal data).
/// </summary>
public sealed class ReconciliationModel : DashboardPage
{
    [BindProperty(SupportsGet = true, Name = "month")] public string? Month { get; set; }
    [BindProperty(SupportsGet = true, Name = "adm")] public string? Adm { get; set; }

    public StatementPeriod Period { get; private set; } = StatementPeriod.Month(2000, 1);
    public bool Ended { get; private set; }
    public string? Error { get; private set; }
    public IReadOnlyList<string> Bureaus { get; private set; } = [];
    internal IReadOnlyList<BureauFigures> Rows { get; private set; } = [];

    /// <summary>A bureau's figures, and the DZ_ recorded for it (null when not written yet).</summary>
    internal sealed record BureauFigures(ReconciliationStatements.Computed Computed, OutboundFileRow? File, string? CurrentSm3);

    public async Task OnGetAsync()
    {
        var ct = HttpContext.RequestAborted;
        var today = HttpContext.RequestServices.GetRequiredService<GatewayClock>().Today;
        if (string.IsNullOrWhiteSpace(Month))
        {
            var last = today.AddMonths(-1);
            Period = StatementPeriod.Month(last.Year, last.Month);
        }
        else if (StatementPeriod.TryParseMonth(Month.Trim(), out var p))
            Period = p;
        else
        {
            Error = "月份格式应为 yyyy-MM，例如 2024-09。";
            var last = today.AddMonths(-1);
            Period = StatementPeriod.Month(last.Year, last.Month);
        }
        Month = Period.Label;
        Ended = Period.HasEnded(today);
        Bureaus = await Queries.BureausAsync(ct);

        var computed = await HttpContext.RequestServices.GetRequiredService<ReconciliationStatements>().ComputeAsync(Period, ct);
        if (!string.IsNullOrWhiteSpace(Adm)) computed = computed.Where(c => c.AdmDivCode == Adm.Trim()).ToList();
        var names = computed.Select(c => c.FileName).ToArray();
        var db = HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        Dictionary<string, OutboundFileRow> files;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            files = (await connection.QueryAsync<OutboundFileRow>(new CommandDefinition("""
                select file_name, kind, sm3, size_bytes, archive_path, created_at from outbound_files
                where kind = 'DZ' and file_name = any(@names)
                """, new { names }, cancellationToken: ct))).ToDictionary(f => f.FileName, StringComparer.Ordinal);
        }
        Rows = computed.Select(c => new BureauFigures(c, files.GetValueOrDefault(c.FileName),
            c.Statement is null ? null : Sm3.HashHex(ReconciliationStatements.Bytes(c.Statement)))).ToList();
    }

    public static string Yuan(BankGateway.Domain.Money m) => Display.Yuan(m.Fen);
}
