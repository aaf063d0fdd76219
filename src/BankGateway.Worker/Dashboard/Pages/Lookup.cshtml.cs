using BankGateway.Domain.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>Beneficiary lookup: the number is POSTed (never in a URL), the answer is masked, and the search is audited (masked).</summary>
public sealed class LookupModel : DashboardPage
{
    public string? Kind { get; private set; }
    public bool Searched { get; private set; }
    public string MaskedQuery { get; private set; } = "";
    public IReadOnlyList<LineRow> Lines { get; private set; } = [];

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? kind, [FromForm] string? value)
    {
        Kind = kind == "account" ? "account" : "id";
        string v = (value ?? "").Trim().Replace(" ", "");
        if (v.Length == 0 || v.Length > 32) return Page();
        var ct = HttpContext.RequestAborted;
        Lines = Kind == "id" ? await Queries.LookupAsync(v, null, ct) : await Queries.LookupAsync(null, v, ct);
        Searched = true;
        MaskedQuery = Kind == "id" ? $"证件号码 {PersonalDataMask.IdNumber(v.ToUpperInvariant())}" : $"银行账号 {PersonalDataMask.AccountNo(v)}";
        var db = HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await UserStore.Audit(connection, tx, Actor, "lookup", null, $"{MaskedQuery}：{Lines.Count} 笔", ct);
        await tx.CommitAsync(ct);
        return Page();
    }
}
