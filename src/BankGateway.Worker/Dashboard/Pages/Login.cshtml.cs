using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard.Pages;

/// <summary>The login form. Five wrong passwords in a row lock the account (any role) for 15 minutes; the message never tells an unknown name from a locked one.</summary>
public sealed class LoginModel : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? Name { get; set; }

    public string? Error { get; private set; }

    /// <summary>The only message a failed login gets.</summary>
    public static readonly string FailedMessage =
        $"用户名或密码错误；连续 {UserStore.MaxFailedLogins} 次错误后账户锁定 {UserStore.LockoutTime.TotalMinutes} 分钟。";

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
            // One message for an unknown name, a wrong password and a locked account: the form must not tell
            // which user names exist.
            Error = FailedMessage;
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, DashboardSetup.Principal(user),
            new AuthenticationProperties { IsPersistent = false });
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
