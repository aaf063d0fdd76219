using Microsoft.Extensions.Configuration;

namespace BankGateway.Worker.Hosting;

/// <summary>
/// The gateway's own settings (section <c>Gateway</c>); contract §11 fixes some keys, the rest are
/// ours and documented in appsettings.template.json. Bad values stop the start naming the key.
/// </summary>
public sealed class GatewaySettings
{
    public const string Section = "Gateway";

    /// <summary><c>Gateway:BankKeyFile</c>: the bank's SM2 private key; default under BANKGATEWAY_HOME/keys.</summary>
    public string? BankKeyFile { get; init; }

    /// <summary><c>Gateway:ReturnTime</c>: China time at which due returns execute on working days.</summary>
    public TimeOnly ReturnTime { get; init; } = new(9, 0);

    /// <summary><c>Gateway:Posting:ChunkSize</c>: lines per posting transaction (see specs/performance.md).</summary>
    public int ChunkSize { get; init; } = 50_000;

    /// <summary><c>Gateway:Posting:Connections</c>: chunks of one voucher posted at once (disjoint lines; each on its own connection).</summary>
    public int PostingConnections { get; init; } = 2;

    /// <summary><c>Gateway:Posting:SmallVoucherLines</c>: a voucher of at most this many lines is claimed before any larger one and between a larger one's chunks (D48).</summary>
    public int SmallVoucherLines { get; init; } = 1_000;

    /// <summary><c>Gateway:Intake:MaxVoucherBytes</c>: a voucher larger than this is refused (R05) unread.</summary>
    public int MaxVoucherBytes { get; init; } = 1 << 20;

    /// <summary>
    /// <c>Gateway:Intake:Concurrency</c>: sets this process takes at once (verify, parse, copy: CPU work for the node and
    /// the database). Default: the node's core count. More at once only share the same cores: a peak day with up to 8
    /// at once on 2 cores ran at 16,362–17,576 lines/s, with 2 at 19,321–19,764 (performance.md, D59).
    /// </summary>
    public int IntakeConcurrency { get; init; } = Environment.ProcessorCount;

    /// <summary><c>Gateway:Intake:IncompleteSetAlarmMinutes</c>: how long a set may wait for its .sig or detail before an alarm.</summary>
    public int IncompleteSetAlarmMinutes { get; init; } = 30;

    public static GatewaySettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        return new GatewaySettings
        {
            BankKeyFile = NullIfEmpty(section["BankKeyFile"]),
            ReturnTime = ParseTime(section["ReturnTime"], "Gateway:ReturnTime") ?? new TimeOnly(9, 0),
            ChunkSize = ParseInt(section["Posting:ChunkSize"], "Gateway:Posting:ChunkSize", 1_000, 1_000_000) ?? 50_000,
            PostingConnections = ParseInt(section["Posting:Connections"], "Gateway:Posting:Connections", 1, 16) ?? 2,
            SmallVoucherLines = ParseInt(section["Posting:SmallVoucherLines"], "Gateway:Posting:SmallVoucherLines", 0, 1_000_000) ?? 1_000,
            MaxVoucherBytes = ParseInt(section["Intake:MaxVoucherBytes"], "Gateway:Intake:MaxVoucherBytes", 4_096, 64 << 20) ?? 1 << 20,
            IntakeConcurrency = ParseInt(section["Intake:Concurrency"], "Gateway:Intake:Concurrency", 1, 64) ?? Environment.ProcessorCount,
            IncompleteSetAlarmMinutes = ParseInt(section["Intake:IncompleteSetAlarmMinutes"], "Gateway:Intake:IncompleteSetAlarmMinutes", 1, 10_080) ?? 30,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static TimeOnly? ParseTime(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return TimeOnly.TryParseExact(value, "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var t)
            ? t : throw new SettingsException(key, $"'{value}' is not a time of day as HH:mm (China time)");
    }

    private static int? ParseInt(string? value, string key, int min, int max)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value, out var n) && n >= min && n <= max
            ? n : throw new SettingsException(key, $"'{value}' is not a whole number between {min} and {max}");
    }
}

/// <summary>A configuration value that cannot be used; the message names the key.</summary>
public sealed class SettingsException(string key, string problem) : Exception($"Configuration {key}: {problem}")
{
    public string Key { get; } = key;
}
