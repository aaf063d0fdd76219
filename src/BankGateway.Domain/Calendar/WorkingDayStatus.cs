namespace BankGateway.Domain.Calendar;

/// <summary>Whether a date is a working day, or that the calendar cannot tell.</summary>
public enum WorkingDayStatus
{
    /// <summary>The date's year is not in the calendar.</summary>
    NotCovered = 0,
    /// <summary>A working day.</summary>
    WorkingDay,
    /// <summary>A weekend or public holiday.</summary>
    DayOff,
}
