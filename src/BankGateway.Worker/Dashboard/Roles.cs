namespace BankGateway.Worker.Dashboard;

/// <summary>The three roles of contract §11: a viewer reads, an operator also acts, an admin also manages users.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Operator = "operator";
    public const string Admin = "admin";

    /// <summary>Policy names used by pages and endpoints.</summary>
    public const string CanAct = "can-act";
    public const string CanManageUsers = "can-manage-users";

    public static readonly IReadOnlyList<string> All = [Viewer, Operator, Admin];

    public static bool IsValid(string? role) => role is Viewer or Operator or Admin;

    public static string Label(string role) => role switch
    {
        Viewer => "查看员",
        Operator => "操作员",
        Admin => "管理员",
        _ => role,
    };
}
