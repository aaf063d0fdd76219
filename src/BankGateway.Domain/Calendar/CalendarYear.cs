namespace BankGateway.Domain.Calendar;

/// <summary>
/// One year of mainland China's official calendar (contract §8): the public holidays (days off,
/// weekends inside a holiday span included) and the adjusted working days (调休上班) announced
/// by the State Council General Office. Every other day follows the ordinary week.
/// </summary>
public sealed record CalendarYear
{
    /// <summary>Creates a year, checking that every date belongs to it and none is both off and on.</summary>
    /// <exception cref="ArgumentException">A date outside <paramref name="year"/>, or listed as both holiday and workday.</exception>
    public CalendarYear(int year, IReadOnlySet<DateOnly> holidays, IReadOnlySet<DateOnly> workdays)
    {
        foreach (var d in holidays)
        {
            if (d.Year != year) throw new ArgumentException($"holiday {d:yyyy-MM-dd} is not in {year}", nameof(holidays));
            if (workdays.Contains(d)) throw new ArgumentException($"{d:yyyy-MM-dd} is listed as both holiday and workday", nameof(workdays));
        }
        foreach (var d in workdays)
            if (d.Year != year) throw new ArgumentException($"workday {d:yyyy-MM-dd} is not in {year}", nameof(workdays));
        Year = year;
        Holidays = holidays;
        Workdays = workdays;
    }

    /// <summary>The calendar year.</summary>
    public int Year { get; }

    /// <summary>Days off beyond the ordinary weekend (public holidays).</summary>
    public IReadOnlySet<DateOnly> Holidays { get; }

    /// <summary>Weekend days that are working days (调休上班).</summary>
    public IReadOnlySet<DateOnly> Workdays { get; }
}
