using System.Globalization;

namespace BankGateway.Files.Formats;

/// <summary>
/// Times in the files are China Standard Time wall clock, <c>yyyy-MM-ddTHH:mm:ss</c>, no offset (contract §7).
/// China has used a fixed UTC+8 without daylight saving since 1991, so a fixed offset is exact.
/// </summary>
public static class ChinaTime
{
    /// <summary>UTC+08:00.</summary>
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    /// <summary>The file format, <c>yyyy-MM-ddTHH:mm:ss</c>.</summary>
    public const string Pattern = "yyyy-MM-dd'T'HH:mm:ss";

    /// <summary>Formats <paramref name="value"/> as China wall-clock time to the second (sub-seconds are dropped).</summary>
    public static string Format(DateTimeOffset value) => value.ToOffset(Offset).ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Parses China wall-clock text into a value with offset +08:00; null when not exactly the pattern.</summary>
    public static DateTimeOffset? TryParse(string text) =>
        DateTime.TryParseExact(text, Pattern, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dt)
            ? new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Unspecified), Offset)
            : null;
}
