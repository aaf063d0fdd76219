using System.Globalization;
using System.Text.Json;
using BankGateway.Domain.Calendar;

namespace BankGateway.Files.Formats;

/// <summary>
/// The working-day calendar file (<c>cn-calendar.json</c>, contract §8): an object whose keys are years
/// (<c>"2024"</c>), each <c>{ "holidays": ["yyyy-MM-dd", …], "workdays": [ … ] }</c>; keys starting with
/// <c>_</c> (such as <c>_about</c>) are comments and ignored. Every date must be a real date in its year and
/// not listed as both; errors are <see cref="FileFormatException"/> naming the year and the date.
/// </summary>
public static class CalendarJson
{
    private const string Holidays = "holidays";
    private const string Workdays = "workdays";

    /// <summary>Reads the years of the file, ordered by year.</summary>
    public static IReadOnlyList<CalendarYear> Read(Stream stream, string fileName)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new FileFormatException(fileName, (ex.LineNumber ?? -1) + 1, ex.BytePositionInLine is { } p ? (int)p + 1 : null, null,
                "expected a JSON object of years, got malformed JSON");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new FileFormatException(fileName, 0, null, null, "expected a JSON object whose keys are years, got " + doc.RootElement.ValueKind);
            var years = new SortedDictionary<int, CalendarYear>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name.StartsWith('_')) continue;
                if (!FieldRules.IsDigits(prop.Name, 4, 4))
                    throw new FileFormatException(fileName, 0, null, prop.Name, $"expected a year (4 digits) or a _comment key, got \"{prop.Name}\"");
                int year = int.Parse(prop.Name, CultureInfo.InvariantCulture);
                if (years.ContainsKey(year))
                    throw new FileFormatException(fileName, 0, null, prop.Name, "expected each year once, got it twice");
                if (prop.Value.ValueKind != JsonValueKind.Object)
                    throw new FileFormatException(fileName, 0, null, prop.Name, "expected an object with holidays and workdays");
                var holidays = Dates(fileName, year, prop.Value, Holidays);
                var workdays = Dates(fileName, year, prop.Value, Workdays);
                foreach (var d in holidays)
                    if (workdays.Contains(d))
                        throw new FileFormatException(fileName, 0, null, prop.Name, $"expected {Text(d)} to be either a holiday or a workday, got both");
                years[year] = new CalendarYear(year, holidays, workdays);
            }
            return [.. years.Values];
        }
    }

    private static HashSet<DateOnly> Dates(string fileName, int year, JsonElement obj, string key)
    {
        string field = $"{year}.{key}";
        var set = new HashSet<DateOnly>();
        if (!obj.TryGetProperty(key, out var arr)) return set;
        if (arr.ValueKind != JsonValueKind.Array)
            throw new FileFormatException(fileName, 0, null, field, "expected an array of dates yyyy-MM-dd");
        foreach (var item in arr.EnumerateArray())
        {
            var text = item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText();
            if (item.ValueKind != JsonValueKind.String || FieldRules.ParseDate(text) is not { } d)
                throw new FileFormatException(fileName, 0, null, field, $"expected a date yyyy-MM-dd, got {FileFormatException.Shown(text)}");
            if (d.Year != year)
                throw new FileFormatException(fileName, 0, null, field, $"expected a date in {year}, got {text}");
            set.Add(d);
        }
        return set;
    }

    /// <summary>Writes the years (sorted, dates ascending, two-space indent), with an optional <c>_about</c> note first.</summary>
    public static void Write(IEnumerable<CalendarYear> years, Stream stream, string? about = null)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        if (about is not null) w.WriteString("_about", about);
        foreach (var y in years.OrderBy(y => y.Year))
        {
            w.WriteStartObject(y.Year.ToString(CultureInfo.InvariantCulture));
            w.WriteStartArray(Holidays);
            foreach (var d in y.Holidays.Order()) w.WriteStringValue(Text(d));
            w.WriteEndArray();
            w.WriteStartArray(Workdays);
            foreach (var d in y.Workdays.Order()) w.WriteStringValue(Text(d));
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static string Text(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
