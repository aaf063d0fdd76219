using System.Globalization;
using BankGateway.Worker.Hosting;
using Microsoft.Extensions.Configuration;

namespace BankGateway.Worker.Notices;

/// <summary>
/// <c>Gateway:Sms:*</c> (ours, contract §16 fixes only <c>Url</c>). Validated at start; a bad value stops the
/// command or the service naming its key. Without a URL notices are created and wait; nothing fails.
/// </summary>
internal sealed class SmsSettings
{
    public const string Section = "Gateway:Sms";

    /// <summary><c>Gateway:Sms:Url</c>: the bank's SMS platform; null = notices wait.</summary>
    public Uri? Url { get; init; }

    /// <summary><c>Gateway:Sms:PerSecond</c>: most requests per second to the platform (per process).</summary>
    public int PerSecond { get; init; } = 20;

    /// <summary><c>Gateway:Sms:QuietHours</c>: China-time window <c>HH:mm-HH:mm</c> in which nothing is sent (may span midnight).</summary>
    public (TimeOnly From, TimeOnly To)? QuietHours { get; init; }

    /// <summary><c>Gateway:Sms:TimeoutSeconds</c>: one request's timeout.</summary>
    public int TimeoutSeconds { get; init; } = 10;

    /// <summary><c>Gateway:Sms:Template</c>.</summary>
    public SmsTemplate Template { get; init; } = SmsTemplate.Parse(SmsTemplate.DefaultText);

    public static SmsSettings From(IConfiguration configuration)
    {
        var s = configuration.GetSection(Section);
        return new SmsSettings
        {
            Url = ParseUrl(s["Url"]),
            PerSecond = ParseInt(s["PerSecond"], "PerSecond", 1, 10_000) ?? 20,
            QuietHours = ParseQuietHours(s["QuietHours"]),
            TimeoutSeconds = ParseInt(s["TimeoutSeconds"], "TimeoutSeconds", 1, 300) ?? 10,
            Template = SmsTemplate.Parse(string.IsNullOrEmpty(s["Template"]) ? SmsTemplate.DefaultText : s["Template"]),
        };
    }

    /// <summary>True when <paramref name="chinaTime"/> falls in the quiet hours (start inclusive, end exclusive).</summary>
    public bool IsQuiet(TimeOnly chinaTime) => QuietHours is { } q && (q.From <= q.To
        ? chinaTime >= q.From && chinaTime < q.To
        : chinaTime >= q.From || chinaTime < q.To);

    private static Uri? ParseUrl(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri : throw new SettingsException(Section + ":Url", $"'{value}' is not an absolute http(s) URL");
    }

    private static (TimeOnly, TimeOnly)? ParseQuietHours(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var parts = value.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && TimeOnly.TryParseExact(parts[0], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
            && TimeOnly.TryParseExact(parts[1], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to)
            && from != to)
            return (from, to);
        throw new SettingsException(Section + ":QuietHours", $"'{value}' is not a China-time window HH:mm-HH:mm such as 22:00-08:00");
    }

    private static int? ParseInt(string? value, string key, int min, int max)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n : throw new SettingsException($"{Section}:{key}", $"'{value}' is not a whole number between {min} and {max}");
    }
}
