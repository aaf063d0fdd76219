using System.Text;
using BankGateway.Domain.Calendar;
using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

public class CalendarJsonTests
{
    private static IReadOnlyList<CalendarYear> Read(string json) => CalendarJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), "cn-calendar.json");

    [Test]
    public void Shared_official_calendar_is_read()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "../../../../../../shared/cn-calendar.json");
        if (!File.Exists(path)) Assert.Ignore("shared/cn-calendar.json not beside the project");
        using var fs = File.OpenRead(path);
        var years = CalendarJson.Read(fs, "cn-calendar.json");
        var y2024 = years.Single(y => y.Year == 2024);
        Assert.That(y2024.Holidays, Does.Contain(new DateOnly(2024, 10, 1)));
        Assert.That(y2024.Workdays, Does.Contain(new DateOnly(2024, 2, 4)));
        Assert.That(years.Select(y => y.Year), Does.Contain(2026));
    }

    [Test]
    public void Calendar_round_trips()
    {
        var years = Read("{\"_about\":\"x\",\"2025\":{\"holidays\":[\"2025-01-01\",\"2025-01-28\"],\"workdays\":[\"2025-01-26\"]},\"2024\":{\"holidays\":[\"2024-10-01\"],\"workdays\":[]}}");
        using var ms = new MemoryStream();
        CalendarJson.Write(years, ms, "note");
        ms.Position = 0;
        var again = CalendarJson.Read(ms, "cn-calendar.json");
        Assert.That(again.Select(y => y.Year), Is.EqualTo(new[] { 2024, 2025 }));
        for (int i = 0; i < 2; i++)
        {
            Assert.That(again[i].Holidays, Is.EquivalentTo(years[i].Holidays));
            Assert.That(again[i].Workdays, Is.EquivalentTo(years[i].Workdays));
        }
    }

    [Test]
    public void Bad_date_names_the_year_and_the_date()
    {
        var ex = Assert.Throws<FileFormatException>(() => Read("{\"2024\":{\"holidays\":[\"2024-02-30\"],\"workdays\":[]}}"))!;
        Assert.That(ex.Message, Does.Contain("2024.holidays").And.Contain("2024-02-30"));
    }

    [Test]
    public void Date_in_another_year_is_refused()
    {
        var ex = Assert.Throws<FileFormatException>(() => Read("{\"2024\":{\"holidays\":[],\"workdays\":[\"2025-01-26\"]}}"))!;
        Assert.That(ex.Message, Does.Contain("2024.workdays").And.Contain("2025-01-26"));
    }

    [Test]
    public void Date_both_holiday_and_workday_is_refused()
    {
        var ex = Assert.Throws<FileFormatException>(() => Read("{\"2024\":{\"holidays\":[\"2024-02-04\"],\"workdays\":[\"2024-02-04\"]}}"))!;
        Assert.That(ex.Message, Does.Contain("2024-02-04"));
    }

    [Test]
    public void Malformed_json_names_the_line()
    {
        var ex = Assert.Throws<FileFormatException>(() => Read("{\n\"2024\": [\n"))!;
        Assert.That(ex.Line, Is.GreaterThan(0));
    }
}
