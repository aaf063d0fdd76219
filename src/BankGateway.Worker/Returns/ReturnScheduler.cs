using BankGateway.Domain.Calendar;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Returns;

/// <summary>
/// Schedules a completed voucher's failed money back to its return account on the next working
/// day after the business date. A due date guessed past the calendar's data is flagged and logged loudly.
/// </summary>
internal sealed class ReturnScheduler(CalendarStore calendars, ILogger<ReturnScheduler> logger)
{
    private WorkingDayCalendar? _calendar;

    /// <summary>Warnings raised while scheduling, for the command's summary.</summary>
    public List<string> Warnings { get; } = [];

    public async Task<NextWorkingDay> DueDateAsync(DateOnly businessDate, CancellationToken ct)
    {
        _calendar ??= await calendars.LoadAsync(ct);
        var due = _calendar.NextWorkingDayAfter(businessDate);
        if (!due.Covered)
        {
            logger.LogError("Returns: {Warning}", due.Warning);
            Warnings.Add(due.Warning!);
        }
        return due;
    }

    /// <summary>Inserts the return in the caller's completion transaction (once per voucher).</summary>
    public async Task ScheduleAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long voucherId, DateOnly businessDate, int count, long fen, CancellationToken ct)
    {
        var due = await DueDateAsync(businessDate, ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into returns (voucher_id, due_date, due_covered, return_count, return_fen, status)
            values (@voucherId, @due, @covered, @count, @fen, 'SCHEDULED')
            on conflict (voucher_id) do nothing
            """, new { voucherId, due = due.Date, covered = due.Covered, count, fen }, tx, cancellationToken: ct));
    }
}
