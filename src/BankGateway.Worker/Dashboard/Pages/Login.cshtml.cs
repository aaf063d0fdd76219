using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>The login form. Five wrong passwords in a row lock the account for 15 minutes.</summary>
public sealed class LoginModel : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? Name { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? password)
    {
        var users = HttpContext.RequestServices.GetRequiredService<UserStore>();
        string name = (Name ?? "").Trim();
        if (name.Length == 0 || string.IsNullOrEmpty(password))
        {
            Error = "请输入用户名和密码。";
            return Page();
        }
        var (outcome, user) = await users.CheckPasswordAsync(name, password, HttpContext.RequestAborted);
        if (outcome != LoginOutcome.Success || user is null)
        {
            Error = outcome == LoginOutcome.Locked
                ? $"连续 {UserStore.MaxFailedLogins} 次密码错误，账户已锁定 {UserStore.LockoutTime.TotalMinutes} 分钟，请稍后再试或联系管理员解锁。"
                : "用户名或密码错误。";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, DashboardSetup.Principal(user),
            new AuthenticationProperties { IsPersistent = false });
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
