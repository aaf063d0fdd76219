using System.Globalization;
using BankGateway.Worker.Results;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>
/// One line's traceability (contract §15): voucher → line (masked) → its credit → failure → return → re-issues and their
/// credits → the QS_ that cleared it; for a re-issue line, the original it re-issues. Read in one query (<see cref="TraceQueries"/>).
/// </summary>
public sealed class LineModel : DashboardPage
{
    [BindProperty(SupportsGet = true, Name = "voucherId")] public long VoucherId { get; set; }
    [BindProperty(SupportsGet = true, Name = "rowNo")] public int RowNo { get; set; }

    public LineTrace Trace { get; private set; } = new(new TraceRow(), []);

    public async Task<IActionResult> OnGetAsync()
    {
        var queries = ActivatorUtilities.GetServiceOrCreateInstance<TraceQueries>(HttpContext.RequestServices);
        var trace = await queries.TraceAsync(VoucherId, RowNo, HttpContext.RequestAborted);
        if (trace is null) return NotFound();
        Trace = trace;
        return Page();
    }

    /// <summary>银行流水号 of a credit, as RS_ gives it (business date of the crediting voucher + journal id).</summary>
    public static string BankRef(DateOnly businessDate, long? journalId) => journalId is { } j
        ? ScreenText.BankRef(VoucherResults.BankReference(businessDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture), j)) : "";
}
