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
    /// <summary>
    /// <c>Gateway:Dashboard:DualControl:&lt;Action&gt;</c> (Release, ExecuteReturn, Reveal, Users, QuarantineRelease):
    /// true (default) when the action needs a second person's approval (双人复核), false when it executes at once.
    /// </summary>
    public IReadOnlyDictionary<string, bool> DualControl { get; init; } = DualControlActions.All.ToDictionary(a => a, _ => true);

    /// <summary><c>Gateway:Dashboard:DualControl:ExpiryHours</c>: hours a request may wait for approval (1–720, default 24).</summary>
    public int DualControlExpiryHours { get; init; } = 24;

    /// <summary><c>Gateway:Dashboard:DualControl:RevealMinutes</c>: minutes the requester may see an approved reveal (1–120, default 10).</summary>
    public int DualControlRevealMinutes { get; init; } = 10;

    /// <summary>True when <paramref name="action"/> (one of <see cref="DualControlActions"/>) needs approval.</summary>
    public bool IsDual(string action) => DualControl.TryGetValue(action, out var on) ? on : true;

    public static DashboardOptions From(IConfiguration configuration)
    {
        var s = configuration.GetSection(Section);
        var dual = s.GetSection("DualControl");
        var known = new HashSet<string>(DualControlActions.All.Concat(["ExpiryHours", "RevealMinutes"]), StringComparer.OrdinalIgnoreCase);
        foreach (var child in dual.GetChildren())
            if (!known.Contains(child.Key) && !child.Key.StartsWith("//", StringComparison.Ordinal))
                throw new SettingsException(child.Path, $"unknown action; one of {string.Join(", ", DualControlActions.All)}, ExpiryHours, RevealMinutes");
        return new DashboardOptions
        {
            DualControl = DualControlActions.All.ToDictionary(a => a, a => Bool(dual[a], $"{Section}:DualControl:{a}") ?? true),
            DualControlExpiryHours = Int(dual["ExpiryHours"], $"{Section}:DualControl:ExpiryHours", 1, 720) ?? 24,
            DualControlRevealMinutes = Int(dual["RevealMinutes"], $"{Section}:DualControl:RevealMinutes", 1, 120) ?? 10,
            PollSeconds = Int(s["PollSeconds"], "Gateway:Dashboard:PollSeconds", 1, 60) ?? 3,
            SessionMinutes = Int(s["SessionMinutes"], "Gateway:Dashboard:SessionMinutes", 1, 24 * 60) ?? 30,
            SessionAbsoluteHours = Int(s["SessionAbsoluteHours"], "Gateway:Dashboard:SessionAbsoluteHours", 1, 168) ?? 8,
            ResendOutbox = string.IsNullOrWhiteSpace(s["ResendOutbox"]) ? null : s["ResendOutbox"],
            BankName = string.IsNullOrWhiteSpace(s["BankName"]) ? "代理银行" : s["BankName"]!.Trim(),
        };
    }

    private static bool? Bool(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return bool.TryParse(value.Trim(), out var b) ? b : throw new SettingsException(key, $"'{value}' is not true or false");
    }

    private static int? Int(string? value, string key, int min, int max)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value, out var n) && n >= min && n <= max
            ? n : throw new SettingsException(key, $"'{value}' is not a whole number between {min} and {max}");
    }
}
