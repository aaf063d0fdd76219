using Microsoft.Extensions.Configuration;
using BankGateway.Worker.Hosting;

namespace BankGateway.Worker.Dashboard;

/// <summary>Settings of the dashboard (section <c>Gateway:Dashboard</c>); <c>Urls</c> itself is read by the service host.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Gateway:Dashboard";

    /// <summary><c>Gateway:Dashboard:PollSeconds</c>: how often open pages fetch the summary endpoint (1–60, default 3).</summary>
    public int PollSeconds { get; init; } = 3;

    /// <summary><c>Gateway:Dashboard:SessionMinutes</c>: idle minutes before a login expires (sliding, default 30).</summary>
    public int SessionMinutes { get; init; } = 30;

    /// <summary>
    /// <c>Gateway:Dashboard:SessionAbsoluteHours</c>: a login ends this many hours after it was made, however active
    /// (1–168, default 8). Then the operator logs in again.
    /// </summary>
    public int SessionAbsoluteHours { get; init; } = 8;

    /// <summary>
    /// <c>Gateway:Dashboard:ResendOutbox</c>: the local folder a re-send writes into. Empty: the bureau
    /// channel's own local outbox (from where the service delivers it).
    /// </summary>
    public string? ResendOutbox { get; init; }

    /// <summary><c>Gateway:Dashboard:BankName</c>: the bank's name printed on counter statements (default 代理银行).</summary>
    public string BankName { get; init; } = "代理银行";

    public static DashboardOptions From(IConfiguration configuration)
    {
        var s = configuration.GetSection(Section);
        return new DashboardOptions
        {
            PollSeconds = Int(s["PollSeconds"], "Gateway:Dashboard:PollSeconds", 1, 60) ?? 3,
            SessionMinutes = Int(s["SessionMinutes"], "Gateway:Dashboard:SessionMinutes", 1, 24 * 60) ?? 30,
            SessionAbsoluteHours = Int(s["SessionAbsoluteHours"], "Gateway:Dashboard:SessionAbsoluteHours", 1, 168) ?? 8,
            ResendOutbox = string.IsNullOrWhiteSpace(s["ResendOutbox"]) ? null : s["ResendOutbox"],
            BankName = string.IsNullOrWhiteSpace(s["BankName"]) ? "代理银行" : s["BankName"]!.Trim(),
        };
    }

    private static int? Int(string? value, string key, int min, int max)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value, out var n) && n >= min && n <= max
            ? n : throw new SettingsException(key, $"'{value}' is not a whole number between {min} and {max}");
    }
}
