using System.Text.Json;
using BankGateway.Domain.Calendar;

namespace BankGateway.Domain.Tests;

/// <summary>
/// The 2024–2026 official dates, copied from shared/cn-calendar.json (same shape) so the tests
/// do not depend on a file outside the repository.
/// </summary>
internal static class CnCalendarData
{
    public const string Json = """
        {
         "2024": {
          "holidays": [
           "2024-01-01",
           "2024-02-10",
           "2024-02-11",
           "2024-02-12",
           "2024-02-13",
           "2024-02-14",
           "2024-02-15",
           "2024-02-16",
           "2024-02-17",
           "2024-04-04",
           "2024-04-05",
           "2024-04-06",
           "2024-05-01",
           "2024-05-02",
           "2024-05-03",
           "2024-05-04",
           "2024-05-05",
           "2024-06-08",
           "2024-06-09",
           "2024-06-10",
           "2024-09-15",
           "2024-09-16",
           "2024-09-17",
           "2024-10-01",
           "2024-10-02",
           "2024-10-03",
           "2024-10-04",
           "2024-10-05",
           "2024-10-06",
           "2024-10-07"
          ],
          "workdays": [
           "2024-02-04",
           "2024-02-18",
           "2024-04-07",
           "2024-04-28",
           "2024-05-11",
           "2024-09-14",
           "2024-09-29",
           "2024-10-12"
          ]
         },
         "2025": {
          "holidays": [
           "2025-01-01",
           "2025-01-28",
           "2025-01-29",
           "2025-01-30",
           "2025-01-31",
           "2025-02-01",
           "2025-02-02",
           "2025-02-03",
           "2025-02-04",
           "2025-04-04",
           "2025-04-05",
           "2025-04-06",
           "2025-05-01",
           "2025-05-02",
           "2025-05-03",
           "2025-05-04",
           "2025-05-05",
           "2025-05-31",
           "2025-06-01",
           "2025-06-02",
           "2025-10-01",
           "2025-10-02",
           "2025-10-03",
           "2025-10-04",
           "2025-10-05",
           "2025-10-06",
           "2025-10-07",
           "2025-10-08"
          ],
          "workdays": [
           "2025-01-26",
           "2025-02-08",
           "2025-04-27",
           "2025-09-28",
           "2025-10-11"
          ]
         },
         "2026": {
          "holidays": [
           "2026-01-01",
           "2026-01-02",
           "2026-01-03",
           "2026-02-15",
           "2026-02-16",
           "2026-02-17",
           "2026-02-18",
           "2026-02-19",
           "2026-02-20",
           "2026-02-21",
           "2026-02-22",
           "2026-02-23",
           "2026-04-04",
           "2026-04-05",
           "2026-04-06",
           "2026-05-01",
           "2026-05-02",
           "2026-05-03",
           "2026-05-04",
           "2026-05-05",
           "2026-06-19",
           "2026-06-20",
           "2026-06-21",
           "2026-09-25",
           "2026-09-26",
           "2026-09-27",
           "2026-10-01",
           "2026-10-02",
           "2026-10-03",
           "2026-10-04",
           "2026-10-05",
           "2026-10-06",
           "2026-10-07"
          ],
          "workdays": [
           "2026-01-04",
           "2026-02-14",
           "2026-02-28",
           "2026-05-09",
           "2026-09-20",
           "2026-10-10"
          ]
         }
        }
        """;

    public static WorkingDayCalendar Build(string json = Json)
    {
        var years = new List<CalendarYear>();
        using var doc = JsonDocument.Parse(json);
        foreach (var year in doc.RootElement.EnumerateObject())
        {
            if (!int.TryParse(year.Name, out int y)) continue; // e.g. "_about"
            years.Add(new CalendarYear(y, Dates(year.Value, "holidays"), Dates(year.Value, "workdays")));
        }
        return new WorkingDayCalendar(years);
    }

    private static HashSet<DateOnly> Dates(JsonElement year, string property)
    {
        var set = new HashSet<DateOnly>();
        foreach (var d in year.GetProperty(property).EnumerateArray())
            set.Add(DateOnly.ParseExact(d.GetString()!, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        return set;
    }
}
