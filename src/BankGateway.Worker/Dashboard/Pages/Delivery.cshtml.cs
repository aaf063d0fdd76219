using BankGateway.Domain.Codes;
using Microsoft.AspNetCore.Mvc;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>
/// One rejected delivery: code and reason, the (masked) detail, the files received, its RJ_ notice with SM3
/// and its history. Operators and admins re-send the RJ_ notice here.
/// </summary>
public sealed class DeliveryModel : DashboardPage
{
    [BindProperty(SupportsGet = true, Name = "id")] public long Id { get; set; }

    public DeliveryRow D { get; private set; } = new();
    public OutboundFileRow? Notice { get; private set; }
    public IReadOnlyList<HistoryEntry> History { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        var ct = HttpContext.RequestAborted;
        var d = await Queries.DeliveryAsync(Id, ct);
        // Only rejected deliveries have a page of their own; an accepted one is shown with its voucher.
        if (d is null || d.Outcome != DeliveryOutcome.Rejected) return d?.VoucherId is { } voucher ? Redirect($"/vouchers/{voucher}") : NotFound();
        D = d;
        Notice = await Queries.RejectionFileAsync(Id, ct);
        History = await Queries.DeliveryHistoryAsync(Id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostResendAsync([FromForm] string? expected, [FromForm] bool confirm)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        Flash = confirm
            ? (await Actions.ResendRejectionAsync(Id, expected ?? "", Actor, HttpContext.RequestAborted)).Message
            : "请勾选“确认”后再提交，未做任何更改。";
        return Redirect($"/deliveries/{Id}");
    }

    public static string Reason(string? code) =>
        code is not null && Enum.TryParse<RejectCode>(code, out var c) ? OutcomeTable.Reason(c) : "";
}
