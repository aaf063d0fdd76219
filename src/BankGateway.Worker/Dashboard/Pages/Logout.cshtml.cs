using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>Logout is a POST (with its antiforgery token) like every other change; GET only offers the button.</summary>
public sealed class LogoutModel : DashboardPage
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var db = HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
        await using (var connection = await db.OpenConnectionAsync(HttpContext.RequestAborted))
        await using (var tx = await connection.BeginTransactionAsync(HttpContext.RequestAborted))
        {
            await UserStore.Audit(connection, tx, Actor, "logout", Actor, null, HttpContext.RequestAborted);
            await tx.CommitAsync(HttpContext.RequestAborted);
        }
        await HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return Redirect(DashboardSetup.LoginPath);
    }
}
