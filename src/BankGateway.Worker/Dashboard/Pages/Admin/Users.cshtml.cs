using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Dashboard.Pages.Admin;

/// <summary>Admins manage operator accounts (the folder is authorised for admins only; each handler checks again).</summary>
public sealed class UsersModel : DashboardPage
{
    public IReadOnlyList<DashboardUser> Users { get; private set; } = [];

    private UserStore Store => HttpContext.RequestServices.GetRequiredService<UserStore>();

    public async Task OnGetAsync() => Users = await Store.ListAsync(HttpContext.RequestAborted);

    public async Task<IActionResult> OnPostSaveAsync([FromForm] string? name, [FromForm] string? role, [FromForm] string? password, [FromForm] string? reason)
    {
        if (!User.IsInRole(Roles.Admin)) return Forbid();
        if (!UserStore.IsValidName(name) || !Roles.IsValid(role) || string.IsNullOrEmpty(password))
            Flash = "用户名须为 1–64 位字母、数字或 . _ -，角色须有效，密码不能为空。";
        else if (Dual.IsOn(DualControlActions.Users))
            // The request carries the password's hash, never the password.
            Flash = (await Dual.RequestAsync(DualControlActions.Users, name!, $"新增或修改用户 {name}，角色 {Roles.Label(role!)}（含新密码）",
                new ApprovalParams { UserOp = "save", UserName = name, Role = role, PasswordHash = UserStore.HashPassword(password) }, reason, Actor, HttpContext.RequestAborted)).Message;
        else
            Flash = await Store.AddOrUpdateAsync(name!, role!, password, Actor, HttpContext.RequestAborted) ? $"已新增用户 {name}。" : $"已修改用户 {name}。";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRemoveAsync([FromForm] string? name, [FromForm] bool confirm, [FromForm] string? reason)
    {
        if (!User.IsInRole(Roles.Admin)) return Forbid();
        if (!confirm || name is null || name == Actor) Flash = "未做更改（须勾选确认；不能删除自己）。";
        else if (Dual.IsOn(DualControlActions.Users))
            Flash = (await Dual.RequestAsync(DualControlActions.Users, name, $"删除用户 {name}",
                new ApprovalParams { UserOp = "remove", UserName = name }, reason, Actor, HttpContext.RequestAborted)).Message;
        else Flash = await Store.RemoveAsync(name, Actor, HttpContext.RequestAborted) ? $"已删除用户 {name}。" : "用户不存在，未做更改。";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostUnlockAsync([FromForm] string? name, [FromForm] bool confirm)
    {
        if (!User.IsInRole(Roles.Admin)) return Forbid();
        if (!confirm || name is null) Flash = "未做更改（须勾选确认）。";
        else Flash = await Store.UnlockAsync(name, Actor, HttpContext.RequestAborted) ? $"已解除 {name} 的锁定。" : "未锁定，未做更改。";
        return RedirectToPage();
    }
}
