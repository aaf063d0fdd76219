using System.Globalization;
using BankGateway.Domain;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard;

/// <summary>How screens show things: yuan with two decimals and thousands separators, China time, Chinese state names.</summary>
public static class Display
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    public static string Yuan(long fen) => new Money(fen).ToDisplayString();

    public static string Time(DateTime? utc) => utc is { } t
        ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToOffset(China).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
        : "";

    public static string Date(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "";

    public static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    private static readonly Dictionary<State, string> StateNames = new()
    {
        [VoucherStatus.Received] = "已接收",
        [VoucherStatus.Held] = "已暂停",
        [VoucherStatus.Posting] = "入账中",
        [VoucherStatus.Completed] = "已完成",
        [DeliveryOutcome.Accepted] = "已接收",
        [DeliveryOutcome.Rejected] = "已拒绝",
        [ReturnStatus.Scheduled] = "待退回",
        [ReturnStatus.Executed] = "已退回",
    };

    /// <summary>Voucher states (vouchers.status) and the two the overview adds (rejected deliveries, returns).</summary>
    public static string State(State status) => StateNames.GetValueOrDefault(status, status.Text);

    /// <summary>A state given by its stored text (a filter in a link): its name, else the text itself.</summary>
    public static string State(string text) => StateNames.Keys.FirstOrDefault(s => s.Text == text) is { } s ? State(s) : text;

    /// <summary>A status change in a history: 凭证状态 or 退回 (the event's subject), then from → to.</summary>
    public static string Transition(string subject, string? from, string to) =>
        (subject == "return" ? "退回：" : "凭证状态：") + (from is null ? State(to) : $"{State(from)} → {State(to)}");

    /// <summary>What the voucher list filters on: the voucher states and rejected deliveries.</summary>
    public static readonly IReadOnlyList<State> VoucherStates = [.. VoucherStatus.All, DeliveryOutcome.Rejected];

    public static string FileKind(string kind) => kind switch
    {
        "HD" => "回单 HD_",
        "RS" => "明细结果 RS_",
        "RJ" => "拒绝通知 RJ_",
        "TH" => "退回通知 TH_",
        "QS" => "清算申请 QS_",
        "MB" => "明白条 MB_",
        _ => kind,
    };

    /// <summary>A channel's payment deadline in words: 2WD → 收到后第 2 个工作日, 3D → 收到后第 3 个自然日.</summary>
    public static string PayWithin(Channels.PayWithin p) => $"收到后第 {p.Days} 个{(p.WorkingDays ? "工作日" : "自然日")}";

    public static string Action(string action) => action switch
    {
        "login" => "登录",
        "logout" => "退出",
        "login.failed" => "登录失败",
        "login.locked" => "账户锁定",
        "login.refused" => "锁定期间登录被拒",
        "voucher.hold" => "暂停入账",
        "voucher.release" => "恢复入账",
        "voucher.resend" => "重发文件",
        "delivery.resend" => "重发拒绝通知",
        "return.execute" => "执行退回",
        "return.execute.request" => "立即执行退回",
        "channel.retry" => "立即重试通道",
        "reveal" => "查看完整信息",
        "lookup" => "受益人查询",
        "statement.query" => "对账单查询",
        "statement.reveal" => "对账单查看完整信息",
        "statement.print" => "打印对账单",
        "mb.download" => "下载明白条",
        "mb.refused" => "明白条校验不符，拒绝下载",
        "user.add" => "新增用户",
        "user.update" => "修改用户",
        "user.remove" => "删除用户",
        "user.unlock" => "解除锁定",
        "approval.request" => "申请复核",
        "approval.approve" => "复核批准",
        "approval.reject" => "复核驳回",
        "approval.refused" => "复核被拒绝",
        "approval.expire" => "复核申请过期",
        "approval.execute" => "复核后执行",
        "quarantine.release" => "解除隔离",
        _ => action,
    };
}

/// <summary>Safety net for free text shown on screens (audit details, reject details): long digit runs are masked.</summary>
public static partial class ScreenText
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\d{12,}[\dXx]?")]
    private static partial System.Text.RegularExpressions.Regex LongNumber();

    public static string Mask(string? text) => string.IsNullOrEmpty(text) ? "" :
        LongNumber().Replace(text, m => BankGateway.Domain.Identity.PersonalDataMask.AccountNo(m.Value));

    /// <summary>An SM3 digest in groups of eight, as fingerprints are read aloud.</summary>
    public static string Digest(string? hex) => string.IsNullOrEmpty(hex) ? "" :
        string.Join(' ', Enumerable.Range(0, (hex.Length + 7) / 8).Select(i => hex.Substring(i * 8, Math.Min(8, hex.Length - i * 8))));

    /// <summary>银行流水号 with a space after the date, so it reads in two parts.</summary>
    public static string BankRef(string reference) => reference.Length > 10 ? reference[..10] + " " + reference[10..] : reference;
}
