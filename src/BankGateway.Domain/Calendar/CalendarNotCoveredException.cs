namespace BankGateway.Domain.Calendar;

/// <summary>Thrown when asked about a date in a year the calendar does not cover.</summary>
public sealed class CalendarNotCoveredException(int year)
    : Exception($"工作日历未覆盖 {year} 年 (the working-day calendar has no data for {year}; import it with 'calendar import')")
{
    /// <summary>The year that is missing.</summary>
    public int Year { get; } = year;
}
