using BankGateway.Domain.Codes;
using Microsoft.AspNetCore.Mvc;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>The voucher list with its filters (channel, department, subsidy, business dates, state); rejected sets come from deliveries.</summary>
public sealed class VouchersModel : DashboardPage
{
    [BindProperty(SupportsGet = true, Name = "adm")] public string? Adm { get; set; }
    [BindProperty(SupportsGet = true, Name = "dept")] public string? Dept { get; set; }
    [BindProperty(SupportsGet = true, Name = "subsidy")] public string? Subsidy { get; set; }
    [BindProperty(SupportsGet = true, Name = "from")] public DateOnly? From { get; set; }
    [BindProperty(SupportsGet = true, Name = "to")] public DateOnly? To { get; set; }
    [BindProperty(SupportsGet = true, Name = "status")] public string? Status { get; set; }
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNo { get; set; } = 1;

    public IReadOnlyList<VoucherRow> Rows { get; private set; } = [];
    public IReadOnlyList<DeliveryRow> Rejected { get; private set; } = [];
    public IReadOnlyList<string> Bureaus { get; private set; } = [];

    public async Task OnGetAsync()
    {
        if (Status is not null && !Display.VoucherStates.Any(s => s.Text == Status)) Status = null;
        PageNo = DashboardQueries.ClampPage(PageNo);
        (Rows, Rejected) = await Queries.VouchersAsync(new VoucherFilter(Adm, Dept, Subsidy, From, To, Status, PageNo), HttpContext.RequestAborted);
        Bureaus = await Queries.BureausAsync(HttpContext.RequestAborted);
    }

    public string RejectReason(string? code) =>
        code is not null && Enum.TryParse<RejectCode>(code, out var c) ? OutcomeTable.Reason(c) : "";

    public string PageLink(int page) => QueryString.Create(new Dictionary<string, string?>
    {
        ["adm"] = Adm, ["dept"] = Dept, ["subsidy"] = Subsidy, ["from"] = Display.Date(From), ["to"] = Display.Date(To),
        ["status"] = Status, ["p"] = page.ToString(System.Globalization.CultureInfo.InvariantCulture),
    }.Where(p => !string.IsNullOrEmpty(p.Value))).ToUriComponent() is var q ? "/vouchers" + q : "/vouchers";
}
