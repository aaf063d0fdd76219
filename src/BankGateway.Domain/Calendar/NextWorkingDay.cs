namespace BankGateway.Domain.Calendar;

/// <summary>
/// The answer of <see cref="WorkingDayCalendar.NextWorkingDayAfter"/>. When <see cref="Covered"/>
/// is false the search ran into a year the calendar lacks and <see cref="Date"/> is only the
/// ordinary-weekday guess: callers must log <see cref="Warning"/> loudly (a return could be late).
/// </summary>
public sealed record NextWorkingDay(DateOnly Date, bool Covered, string? Warning);
