using System.Globalization;
using BankGateway.Domain.Codes;
using BankGateway.Domain.Identity;
using BankGateway.Worker.Results;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>
/// One voucher: current state first, then the three elements and totals, failures by code, the lines
/// (paged, filterable by outcome, code and 序号; masked), the files, re-issue links and the full history.
/// Operators act here: hold / release, re-send files, execute the due return, reveal one value.
/// </summary>
public sealed class VoucherModel : DashboardPage
{
    [BindProperty(SupportsGet = true, Name = "id")] public long Id { get; set; }
    [BindProperty(SupportsGet = true, Name = "outcome")] public string? Outcome { get; set; }
    [BindProperty(SupportsGet = true, Name = "seq")] public string? Seq { get; set; }
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNo { get; set; } = 1;

    public VoucherHeader V { get; private set; } = new();
    public IReadOnlyList<CodeCount> Codes { get; private set; } = [];
    public IReadOnlyList<LineRow> Lines { get; private set; } = [];
    public IReadOnlyList<HistoryEntry> History { get; private set; } = [];
    public IReadOnlyList<OutboundFileRow> Files { get; private set; } = [];
    public IReadOnlyList<DeliveryRow> Deliveries { get; private set; } = [];
    public IReadOnlyList<ReissueLink> ReissuesOf { get; private set; } = [];
    public IReadOnlyList<ReissueLink> ReissuedBy { get; private set; } = [];
    public bool ReturnIsDue { get; private set; }

    /// <summary>The one value an operator asked to see (never kept, never logged).</summary>
    public (string Label, string SeqNo, string Value)? Revealed { get; private set; }

    public string LineOutcome => Outcome is "all" or "paid" || IsCode(Outcome) ? Outcome! : "failed";

    private static bool IsCode(string? s) => s is { Length: 3 } && s[0] == 'F' && int.TryParse(s.AsSpan(1), out var n) && n is >= 1 and <= 15;

    public async Task<IActionResult> OnGetAsync() => await LoadAsync() ? Page() : NotFound();

    private async Task<bool> LoadAsync()
    {
        var ct = HttpContext.RequestAborted;
        var v = await Queries.VoucherAsync(Id, ct);
        if (v is null) return false;
        V = v;
        PageNo = DashboardQueries.ClampPage(PageNo);
        Codes = await Queries.FailureCodesAsync(Id, ct);
        Lines = await Queries.LinesAsync(Id, new LineFilter(LineOutcome, Seq, PageNo), ct);
        History = await Queries.HistoryAsync(v, ct);
        Files = await Queries.FilesAsync(v, ct);
        Deliveries = await Queries.DeliveriesAsync(v, ct);
        (ReissuesOf, ReissuedBy) = await Queries.ReissuesAsync(Id, ct);
        ReturnIsDue = v.ReturnStatus == ReturnStatus.Scheduled && v.ReturnDue is { } due
            && due <= HttpContext.RequestServices.GetRequiredService<BankGateway.Worker.Hosting.GatewayClock>().Today;
        return true;
    }

    public Task<IActionResult> OnPostHoldAsync([FromForm] string? expected, [FromForm] bool confirm) =>
        ActAsync(confirm, () => Actions.HoldAsync(Id, expected ?? "", Actor, HttpContext.RequestAborted));

    public Task<IActionResult> OnPostReleaseAsync([FromForm] string? expected, [FromForm] bool confirm, [FromForm] string? reason) =>
        Dual.IsOn(DualControlActions.Release)
            ? RequestAsync(confirm, DualControlActions.Release, "恢复入账", new ApprovalParams { VoucherId = Id, Expected = expected ?? "" }, reason)
            : ActAsync(confirm, () => Actions.ReleaseAsync(Id, expected ?? "", Actor, HttpContext.RequestAborted));

    public Task<IActionResult> OnPostResendAsync([FromForm] string? expected, [FromForm] bool confirm) =>
        ActAsync(confirm, () => Actions.ResendAsync(Id, expected ?? "", Actor, HttpContext.RequestAborted));

    public Task<IActionResult> OnPostReturnAsync([FromForm] string? expected, [FromForm] bool confirm, [FromForm] string? reason) =>
        Dual.IsOn(DualControlActions.ExecuteReturn)
            ? RequestAsync(confirm, DualControlActions.ExecuteReturn, "立即执行到期退回", new ApprovalParams { VoucherId = Id, Expected = expected ?? "" }, reason)
            : ActAsync(confirm, () => Actions.ExecuteReturnAsync(Id, expected ?? "", Actor, HttpContext.RequestAborted));

    // Dual control: the action is only requested here; another operator approves it on /approvals.
    private async Task<IActionResult> RequestAsync(bool confirm, string action, string summary, ApprovalParams p, string? reason)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        var v = await Queries.VoucherAsync(Id, HttpContext.RequestAborted);
        if (v is null) return NotFound();
        Flash = confirm ? (await Dual.RequestAsync(action, v.Subject, summary, p, reason, Actor, HttpContext.RequestAborted)).Message
            : "请勾选“确认”后再提交，未做任何更改。";
        return Redirect($"/vouchers/{Id}");
    }

    private async Task<IActionResult> ActAsync(bool confirm, Func<Task<ActionOutcome>> act)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        Flash = confirm ? (await act()).Message : "请勾选“确认”后再提交，未做任何更改。";
        return Redirect($"/vouchers/{Id}");
    }

    public async Task<IActionResult> OnPostRevealAsync([FromForm] int row, [FromForm] string? field, [FromForm] bool confirm, [FromForm] string? reason)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        if (Dual.IsOn(DualControlActions.Reveal))
        {
            var target = await Queries.LineAsync(Id, row, HttpContext.RequestAborted);
            if (target is null || field is not ("id" or "account")) return NotFound();
            return await RequestAsync(confirm, DualControlActions.Reveal, $"查看序号 {target.SeqNo} 的完整{(field == "id" ? "证件号码" : "银行账号")}",
                new ApprovalParams { VoucherId = Id, Row = row, Field = field }, reason);
        }
        if (!await LoadAsync()) return NotFound();
        if (!confirm)
        {
            Flash = null;
            ViewData["Message"] = "请勾选“确认”后再查看完整信息。";
            return Page();
        }
        var value = await Actions.RevealAsync(Id, row, field ?? "", Actor, HttpContext.RequestAborted);
        if (value is null) return NotFound();
        var line = await Queries.LineAsync(Id, row, HttpContext.RequestAborted);
        Revealed = (field == "id" ? "证件号码" : "银行账号", line!.SeqNo, value);
        return Page();
    }

    public static string Reason(short? code) => code is { } c and > 0 ? OutcomeTable.Reason((FailureCode)c) : "";

    public static string Code(short? code) => code is { } c and > 0 ? $"F{c:00}" : "";

    public static string LineState(LineRow l) => l.Code is not null ? "失败" : l.JournalId is not null ? "成功" : "待入账";

    public static string BankRef(LineRow l) => l.JournalId is { } j
        ? ScreenText.BankRef(VoucherResults.BankReference(l.BusinessDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture), j)) : "";

    public string LinesLink(string outcome, int page) =>
        $"/vouchers/{Id}?outcome={Uri.EscapeDataString(outcome)}{(string.IsNullOrEmpty(Seq) ? "" : "&seq=" + Uri.EscapeDataString(Seq))}&p={page}#lines";

    public static string Mask(string account) => PersonalDataMask.AccountNo(account);
}
