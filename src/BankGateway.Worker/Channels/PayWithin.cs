using System.Globalization;
using BankGateway.Domain.Calendar;
using BankGateway.Worker.Hosting;
using Microsoft.Extensions.Configuration;

namespace BankGateway.Worker.Channels;

/// <summary>
/// How long a bureau gives the bank to complete a voucher (<c>Gateway:Channels:&lt;n&gt;:PayWithin</c>):
/// <c>2WD</c> = by the 2nd working day after the day of receipt (China time, by the working-day calendar),
/// <c>3D</c> = by the 3rd calendar day after it. 1–30 days. Default <c>2WD</c>, the rule before it was configurable.
/// </summary>
public readonly record struct PayWithin(int Days, bool WorkingDays)
{
    public static readonly PayWithin Default = new(2, true);

    public const int MaxDays = 30;

    public override string ToString() => $"{Days.ToString(CultureInfo.InvariantCulture)}{(WorkingDays ? "WD" : "D")}";

    /// <summary>Parses <c>&lt;n&gt;WD</c> or <c>&lt;n&gt;D</c> (case-insensitive, 1 ≤ n ≤ 30); false for anything else.</summary>
    public static bool TryParse(string? text, out PayWithin value)
    {
        value = Default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var t = text.Trim().ToUpperInvariant();
        bool working = t.EndsWith("WD", StringComparison.Ordinal);
        string number = working ? t[..^2] : t.EndsWith('D') ? t[..^1] : "";
        if (number.Length is 0 or > 2 || !number.All(char.IsAsciiDigit)) return false;
        int days = int.Parse(number, CultureInfo.InvariantCulture);
        if (days is < 1 or > MaxDays) return false;
        value = new PayWithin(days, working);
        return true;
    }

    /// <summary>The value of <paramref name="key"/>, <see cref="Default"/> when empty; a wrong value throws <see cref="SettingsException"/>.</summary>
    public static PayWithin Read(string? text, string key) =>
        string.IsNullOrWhiteSpace(text) ? Default
        : TryParse(text, out var value) ? value
        : throw new SettingsException(key, $"'{text}' is not a payment deadline: <n>WD (working days after receipt) or <n>D (calendar days after receipt), n from 1 to {MaxDays}, e.g. 2WD or 3D");

    /// <summary>The last day to complete a voucher received on <paramref name="received"/> (China date); past the calendar's data, ordinary weeks.</summary>
    public DateOnly DeadlineAfter(WorkingDayCalendar calendar, DateOnly received)
    {
        if (!WorkingDays) return received.AddDays(Days);
        var day = received;
        for (int i = 0; i < Days; i++) day = calendar.NextWorkingDayAfter(day).Date;
        return day;
    }
}

/// <summary>Each configured bureau's <see cref="PayWithin"/>; a bureau without a channel here gets the default <c>2WD</c>.</summary>
public sealed class DeadlineRules(IReadOnlyDictionary<string, PayWithin> byAdmDivCode)
{
    public static readonly DeadlineRules Default = new(new Dictionary<string, PayWithin>());

    public PayWithin For(string admDivCode) => byAdmDivCode.TryGetValue(admDivCode, out var p) ? p : PayWithin.Default;

    public IReadOnlyDictionary<string, PayWithin> All => byAdmDivCode;

    /// <summary>Reads <c>Gateway:Channels:&lt;n&gt;:PayWithin</c> of every channel (validated the same way as <see cref="ChannelSettings"/> does at start).</summary>
    public static DeadlineRules From(IConfiguration? configuration)
    {
        if (configuration is null) return Default;
        var map = new Dictionary<string, PayWithin>(StringComparer.Ordinal);
        foreach (var c in configuration.GetSection(ChannelSettings.Section).GetChildren())
        {
            var p = PayWithin.Read(c["PayWithin"], $"{c.Path}:PayWithin");
            if (!string.IsNullOrWhiteSpace(c["AdmDivCode"])) map[c["AdmDivCode"]!.Trim()] = p;
        }
        return new DeadlineRules(map);
    }
}
