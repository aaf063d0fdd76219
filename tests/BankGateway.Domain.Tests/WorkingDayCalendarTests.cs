using BankGateway.Domain.Calendar;

namespace BankGateway.Domain.Tests;

public class WorkingDayCalendarTests
{
    private static readonly WorkingDayCalendar Calendar = CnCalendarData.Build();

    private static DateOnly D(string iso) => DateOnly.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public void Covered_years_are_listed_ascending()
    {
        Assert.That(Calendar.CoveredYears, Is.EqualTo(new[] { 2024, 2025, 2026 }));
    }

    [Test]
    public void National_day_2024_returns_on_october_8()
    {
        // 2024-09-30 is a Monday; 10-01..10-07 are the National Day holiday.
        var next = Calendar.NextWorkingDayAfter(D("2024-09-30"));
        Assert.That(next, Is.EqualTo(new NextWorkingDay(D("2024-10-08"), true, null)));
    }

    [Test]
    public void Sunday_2024_09_29_is_an_adjusted_workday()
    {
        Assert.That(D("2024-09-29").DayOfWeek, Is.EqualTo(DayOfWeek.Sunday));
        Assert.That(Calendar.IsWorkingDay(D("2024-09-29")), Is.True);
        Assert.That(Calendar.NextWorkingDayAfter(D("2024-09-28")).Date, Is.EqualTo(D("2024-09-29")));
    }

    [Test]
    public void Friday_2024_10_11_is_followed_by_adjusted_saturday_2024_10_12()
    {
        Assert.That(D("2024-10-12").DayOfWeek, Is.EqualTo(DayOfWeek.Saturday));
        Assert.That(Calendar.NextWorkingDayAfter(D("2024-10-11")).Date, Is.EqualTo(D("2024-10-12")));
    }

    [Test]
    public void Spring_festival_2026_friday_is_followed_by_adjusted_saturday()
    {
        Assert.That(Calendar.NextWorkingDayAfter(D("2026-02-13")).Date, Is.EqualTo(D("2026-02-14")));
    }

    [Test]
    public void Spring_festival_2026_returns_on_february_24()
    {
        var next = Calendar.NextWorkingDayAfter(D("2026-02-14"));
        Assert.That(next.Date, Is.EqualTo(D("2026-02-24")));
        Assert.That(next.Covered, Is.True);
    }

    [Test]
    public void Ordinary_weekend_is_off_and_weekdays_are_on()
    {
        Assert.That(Calendar.IsWorkingDay(D("2025-03-08")), Is.False); // Saturday
        Assert.That(Calendar.IsWorkingDay(D("2025-03-10")), Is.True);  // Monday
        Assert.That(Calendar.NextWorkingDayAfter(D("2025-03-07")).Date, Is.EqualTo(D("2025-03-10")));
    }

    [Test]
    public void Holiday_on_a_weekday_is_off()
    {
        Assert.That(D("2024-10-01").DayOfWeek, Is.EqualTo(DayOfWeek.Tuesday));
        Assert.That(Calendar.TryIsWorkingDay(D("2024-10-01")), Is.EqualTo(WorkingDayStatus.DayOff));
    }

    [Test]
    public void Date_in_uncovered_year_is_not_treated_as_ordinary()
    {
        Assert.That(Calendar.TryIsWorkingDay(D("2027-01-04")), Is.EqualTo(WorkingDayStatus.NotCovered));
        var ex = Assert.Throws<CalendarNotCoveredException>(() => Calendar.IsWorkingDay(D("2027-01-04")));
        Assert.That(ex!.Year, Is.EqualTo(2027));
    }

    [Test]
    public void Next_working_day_running_into_uncovered_year_is_flagged()
    {
        var next = Calendar.NextWorkingDayAfter(D("2026-12-31"));
        Assert.That(next.Date, Is.EqualTo(D("2027-01-01")), "ordinary-weekday guess: a Friday");
        Assert.That(next.Covered, Is.False);
        Assert.That(next.Warning, Does.Contain("2027"));
    }

    [Test]
    public void Next_working_day_inside_covered_year_at_year_end_is_not_flagged()
    {
        var next = Calendar.NextWorkingDayAfter(D("2026-12-30"));
        Assert.That(next, Is.EqualTo(new NextWorkingDay(D("2026-12-31"), true, null)));
    }

    [Test]
    public void Calendar_can_be_built_from_a_year_map()
    {
        var map = new Dictionary<int, (IReadOnlySet<DateOnly>, IReadOnlySet<DateOnly>)>
        {
            [2024] = (new HashSet<DateOnly> { D("2024-01-01") }, new HashSet<DateOnly> { D("2024-02-04") }),
        };
        var calendar = new WorkingDayCalendar(map);
        Assert.That(calendar.IsWorkingDay(D("2024-01-01")), Is.False);
        Assert.That(calendar.IsWorkingDay(D("2024-02-04")), Is.True);
        Assert.That(calendar.Covers(2025), Is.False);
    }

    [Test]
    public void Year_with_a_date_of_another_year_is_refused()
    {
        Assert.That(() => new CalendarYear(2024, new HashSet<DateOnly> { D("2025-01-01") }, new HashSet<DateOnly>()),
            Throws.ArgumentException);
    }

    [Test]
    public void Date_both_holiday_and_workday_is_refused()
    {
        var both = new HashSet<DateOnly> { D("2024-10-12") };
        Assert.That(() => new CalendarYear(2024, both, both), Throws.ArgumentException);
    }
}
