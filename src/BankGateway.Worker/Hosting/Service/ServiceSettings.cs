using System.Globalization;
using BankGateway.Worker.Channels;
using Microsoft.Extensions.Configuration;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// The service's own settings beside <see cref="GatewaySettings"/>: channels, where the dashboard listens,
/// the daily schedules and the cluster heartbeat. Read and validated before anything starts; a wrong value
/// throws <see cref="SettingsException"/> naming its key.
/// </summary>
internal sealed class ServiceSettings
{
    /// <summary><c>Gateway:Channels</c>, validated.</summary>
    public required IReadOnlyList<ChannelSettings> Channels { get; init; }

    /// <summary><c>Gateway:Dashboard:Urls</c>: where the dashboard, /health and /metrics listen (semicolon-separated).</summary>
    public string DashboardUrls { get; init; } = "http://127.0.0.1:5080";

    /// <summary><c>Gateway:ClearingTime</c>: China time of the daily QS_ clearing requests.</summary>
    public TimeOnly ClearingTime { get; init; } = new(17, 0);

    /// <summary><c>Gateway:Service:ReconciliationMinutes</c>: how often ledger and vouchers are reconciled.</summary>
    public int ReconciliationMinutes { get; init; } = 60;

    /// <summary><c>Gateway:Service:CheckinSeconds</c>: the cluster heartbeat of this node in the job store.</summary>
    public int CheckinSeconds { get; init; } = 5;

    /// <summary>
    /// <c>Gateway:Service:PollConcurrency</c>: how many channel polls this node runs at once (D58). An idle poll takes
    /// milliseconds; the takes inside polls are bounded apart by <c>Gateway:Intake:Concurrency</c> (D59). Default 64: a
    /// poll waiting for a take slot holds its poll slot, so with 8 a burst of large sets left other bureaus unpolled for
    /// up to 18 s (D61).
    /// </summary>
    public int PollConcurrency { get; init; } = DefaultPollConcurrency;

    /// <summary>The default of <see cref="PollConcurrency"/>, also its upper bound.</summary>
    public const int DefaultPollConcurrency = 64;

    /// <summary><c>Gateway:Service:ShutdownSeconds</c>: how long SIGTERM waits for running jobs (a posting chunk) to finish.</summary>
    public int ShutdownSeconds { get; init; } = 110;

    public static ServiceSettings From(IConfiguration configuration)
    {
        var gateway = configuration.GetSection(GatewaySettings.Section);
        string urls = string.IsNullOrWhiteSpace(gateway["Dashboard:Urls"]) ? "http://127.0.0.1:5080" : gateway["Dashboard:Urls"]!.Trim();
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || uri.Scheme is not ("http" or "https"))
                throw new SettingsException("Gateway:Dashboard:Urls", $"'{url}' is not an http:// or https:// URL");
        }
        return new ServiceSettings
        {
            Channels = ChannelSettings.ReadAll(configuration),
            DashboardUrls = urls,
            ClearingTime = Time(gateway["ClearingTime"], "Gateway:ClearingTime") ?? new TimeOnly(17, 0),
            ReconciliationMinutes = Int(gateway["Service:ReconciliationMinutes"], "Gateway:Service:ReconciliationMinutes", 1, 1440) ?? 60,
            CheckinSeconds = Int(gateway["Service:CheckinSeconds"], "Gateway:Service:CheckinSeconds", 1, 300) ?? 5,
            PollConcurrency = Int(gateway["Service:PollConcurrency"], "Gateway:Service:PollConcurrency", 1, DefaultPollConcurrency) ?? DefaultPollConcurrency,
            ShutdownSeconds = Int(gateway["Service:ShutdownSeconds"], "Gateway:Service:ShutdownSeconds", 1, 3600) ?? 110,
        };
    }

    private static TimeOnly? Time(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return TimeOnly.TryParseExact(value.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t : throw new SettingsException(key, $"'{value}' is not a time of day as HH:mm (China time)");
    }

    private static int? Int(string? value, string key, int min, int max)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n : throw new SettingsException(key, $"'{value}' is not a whole number between {min} and {max}");
    }
}
