using System.Globalization;
using BankGateway.Domain.Identity;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>
/// Counter statement (柜台查询/打印, contract §16): a person's full history by ID number or account number typed
/// into a POSTed form, masked unless an operator reveals it (audited), printable on one page (audited). The number
/// never travels in a URL; between the query and its print/reveal it rides in an encrypted, time-limited token.
/// </summary>
public sealed class StatementModel : DashboardPage
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(30);

    public string Kind { get; private set; } = "id";
    public bool Searched { get; private set; }
    public bool Revealed { get; private set; }
    public bool Printing { get; private set; }
    public string QueryToken { get; private set; } = "";
    public string MaskedQuery { get; private set; } = "";
    public Statement Result { get; private set; } = new();
    public string? Error { get; private set; }
    public string BankName => HttpContext.RequestServices.GetRequiredService<DashboardOptions>().BankName;
    public string PrintedAt => HttpContext.RequestServices.GetRequiredService<Hosting.GatewayClock>().UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private StatementQueries Statements => HttpContext.RequestServices.GetRequiredService<StatementQueries>();

    private ITimeLimitedDataProtector Protector => HttpContext.RequestServices.GetRequiredService<IDataProtectionProvider>()
        .CreateProtector("BankGateway.Dashboard.Statement").ToTimeLimitedDataProtector();

    public void OnGet()
    {
        // Nothing is read from the query string: a number in a URL is ignored, never searched.
    }

    /// <summary>查询: the number typed into the form.</summary>
    public async Task<IActionResult> OnPostAsync([FromForm] string? kind, [FromForm] string? value)
    {
        Kind = kind == "account" ? "account" : "id";
        string v = Normalize(value);
        if (v.Length == 0 || v.Length > 32 || !v.All(char.IsAsciiLetterOrDigit))
        {
            Error = "请输入证件号码或银行账号（只含数字和字母）。";
            return Page();
        }
        await LoadAsync(Kind, v, "statement.query", reveal: false);
        return Page();
    }

    /// <summary>查看完整信息: an operator, with the confirm box ticked; audited.</summary>
    public async Task<IActionResult> OnPostRevealAsync([FromForm] string? q, [FromForm] bool confirm)
    {
        if (RefuseUnlessOperator() is { } refused) return refused;
        if (Unprotect(q) is not var (kind, value)) return Expired();
        Kind = kind;
        if (!confirm)
        {
            Error = "请勾选确认后再查看完整信息。";
            await LoadAsync(kind, value, null, reveal: false);
            return Page();
        }
        await LoadAsync(kind, value, "statement.reveal", reveal: true);
        return Page();
    }

    /// <summary>打印: audited, then the print view (the browser prints it with the print stylesheet).</summary>
    public async Task<IActionResult> OnPostPrintAsync([FromForm] string? q, [FromForm] bool revealed)
    {
        if (Unprotect(q) is not var (kind, value)) return Expired();
        if (revealed && RefuseUnlessOperator() is { } refused) return refused;
        Kind = kind;
        Printing = true;
        await LoadAsync(kind, value, "statement.print", reveal: revealed);
        return Page();
    }

    private async Task LoadAsync(string kind, string value, string? auditAction, bool reveal)
    {
        var ct = HttpContext.RequestAborted;
        Result = kind == "id" ? await Statements.HistoryAsync(value, null, ct) : await Statements.HistoryAsync(null, value, ct);
        Searched = true;
        Revealed = reveal;
        QueryToken = Protector.Protect(kind + "|" + value, TokenLifetime);
        MaskedQuery = kind == "id" ? $"证件号码 {TailMask.KeepLast4(value.ToUpperInvariant())}" : $"银行账号 {TailMask.KeepLast4(value)}";
        if (auditAction is null) return;
        var db = HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        string detail = $"{MaskedQuery}：入账 {Result.Credits.Count} 笔 {Display.Yuan(Result.CreditFen)} 元，失败 {Result.Failures.Count} 笔" +
                        (reveal ? "（显示完整信息）" : "");
        await UserStore.Audit(connection, tx, Actor, auditAction, StatementQueries.Subject(kind, value), detail, ct);
        await tx.CommitAsync(ct);
    }

    private (string Kind, string Value)? Unprotect(string? token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        try
        {
            string plain = Protector.Unprotect(token);
            int bar = plain.IndexOf('|');
            return bar > 0 ? (plain[..bar], plain[(bar + 1)..]) : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    private IActionResult Expired()
    {
        Error = "查询已过期，请重新输入号码查询。";
        return Page();
    }

    private static string Normalize(string? value) => (value ?? "").Trim().Replace(" ", "").Replace("-", "");

    // What the screen shows of a person's data: masked unless revealed.
    public string Name(string n) => Revealed ? n : PersonalDataMask.Name(n);
    public string Id(string id) => Revealed ? id : TailMask.KeepLast4(id);
    public string Account(string a) => Revealed ? a : TailMask.KeepLast4(a);

    public static string Reason(StatementEntry e) => e.Code is { } c ? $"{VoucherModel.Code(c)} {VoucherModel.Reason(c)}" : "";

    public static string BankRef(StatementEntry e) => e.JournalId is { } j
        ? ScreenText.BankRef(Results.VoucherResults.BankReference(e.BusinessDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture), j)) : "";

    public static string ReturnText(StatementEntry e) =>
        e.ReturnStatus == ReturnStatus.Executed ? $"已退回 {Display.Time(e.ReturnExecutedAt).Split(' ')[0]}"
        : e.ReturnStatus == ReturnStatus.Scheduled ? $"待退回（{Display.Date(e.ReturnDue)}）"
        : "";

    public static string ReissueText(StatementEntry e)
    {
        var parts = new List<string>();
        if (e.OrigVoucherNo.Length > 0) parts.Add($"补发原凭证 {e.OrigVoucherNo} 序号 {e.OrigSeqNo}");
        if (e.ReissuedByVoucherNo is not null) parts.Add($"已由 {e.ReissuedByVoucherNo} 序号 {e.ReissuedBySeqNo} 补发");
        return string.Join("；", parts);
    }
}
