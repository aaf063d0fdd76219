using System.Globalization;

namespace BankGateway.Domain.Calendar;

/// <summary>
/// Mainland China's working days (contract §8): a listed holiday is off, a listed adjusted
/// workday (调休) is on, otherwise Monday–Friday are on and Saturday–Sunday off. A year with no
/// data is never silently treated as ordinary weeks, because returns must not be paid late
/// (最迟不超过下一个工作日) on a guess nobody noticed.
/// </summary>
public sealed class WorkingDayCalendar
{
    // Longest run of consecutive days off is ~9 (Spring Festival); anything near a year means bad data.
    private const int MaxSearchDays = 366;

    private readonly Dictionary<int, CalendarYear> _years = [];

    /// <summary>Builds the calendar from per-year data.</summary>
    /// <exception cref="ArgumentException">The same year given twice.</exception>
    public WorkingDayCalendar(IEnumerable<CalendarYear> years)
    {
        foreach (var y in years)
            if (!_years.TryAdd(y.Year, y)) throw new ArgumentException($"year {y.Year} given twice", nameof(years));
        var covered = new List<int>(_years.Keys);
        covered.Sort();
        CoveredYears = covered;
    }

    /// <summary>Builds the calendar from a year → (holidays, workdays) map.</summary>
    public WorkingDayCalendar(IReadOnlyDictionary<int, (IReadOnlySet<DateOnly> Holidays, IReadOnlySet<DateOnly> Workdays)> years)
        : this(ToYears(years))
    {
    }

    /// <summary>The years with data, ascending.</summary>
    public IReadOnlyList<int> CoveredYears { get; }

    /// <summary>True when <paramref name="year"/> has data.</summary>
    public bool Covers(int year) => _years.ContainsKey(year);

    /// <summary>Classifies <paramref name="date"/>, answering <see cref="WorkingDayStatus.NotCovered"/> for a year without data.</summary>
    public WorkingDayStatus TryIsWorkingDay(DateOnly date)
    {
        if (!_years.TryGetValue(date.Year, out var year)) return WorkingDayStatus.NotCovered;
        if (year.Holidays.Contains(date)) return WorkingDayStatus.DayOff;
        if (year.Workdays.Contains(date)) return WorkingDayStatus.WorkingDay;
        return IsOrdinaryWeekday(date) ? WorkingDayStatus.WorkingDay : WorkingDayStatus.DayOff;
    }

    /// <summary>True when <paramref name="date"/> is a working day.</summary>
    /// <exception cref="CalendarNotCoveredException">The date's year has no data.</exception>
    public bool IsWorkingDay(DateOnly date) => TryIsWorkingDay(date) switch
    {
        WorkingDayStatus.WorkingDay => true,
        WorkingDayStatus.DayOff => false,
        _ => throw new CalendarNotCoveredException(date.Year),
    };

    /// <summary>
    /// The first working day strictly after <paramref name="date"/> (when failed money returns).
    /// Never throws for a missing year: past the covered data it falls back to the ordinary week
    /// and flags the answer <c>Covered = false</c> with a warning.
    /// </summary>
    public NextWorkingDay NextWorkingDayAfter(DateOnly date)
    {
        int? uncoveredYear = null;
        var d = date;
        for (int i = 0; i < MaxSearchDays; i++)
        {
            d = d.AddDays(1);
            var status = TryIsWorkingDay(d);
            if (status == WorkingDayStatus.NotCovered)
            {
                uncoveredYear ??= d.Year;
                status = IsOrdinaryWeekday(d) ? WorkingDayStatus.WorkingDay : WorkingDayStatus.DayOff;
            }
            if (status != WorkingDayStatus.WorkingDay) continue;
            return uncoveredYear is { } y
                ? new NextWorkingDay(d, false, string.Create(CultureInfo.InvariantCulture,
                    $"工作日历未覆盖 {y} 年: {d:yyyy-MM-dd} 仅按普通周末推算 (calendar has no data for {y}; " +
                    $"next working day after {date:yyyy-MM-dd} guessed as {d:yyyy-MM-dd} from weekdays only — import the {y} calendar)"))
                : new NextWorkingDay(d, true, null);
        }
        throw new InvalidOperationException($"no working day within {MaxSearchDays} days after {date:yyyy-MM-dd}: the calendar data is wrong");
    }

    private static bool IsOrdinaryWeekday(DateOnly date) =>
        date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

    private static IEnumerable<CalendarYear> ToYears(
        IReadOnlyDictionary<int, (IReadOnlySet<DateOnly> Holidays, IReadOnlySet<DateOnly> Workdays)> years)
    {
        foreach (var (year, sets) in years) yield return new CalendarYear(year, sets.Holidays, sets.Workdays);
    }
}
