using BankGateway.Domain.Calendar;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Returns;

/// <summary>
/// Schedules a completed voucher's failed money back to its return account on the next working
/// day after the business date. A due date guessed past the calendar's data is flagged and logged loudly.
/// </summary>
/// <remarks>
/// The calendar is <see cref="CalendarStore.CurrentAsync"/>: a <c>calendar import</c> by another process takes
/// effect in a running service at the next voucher, without a restart.
/// </remarks>
internal sealed class ReturnScheduler(CalendarStore calendars, ILogger<ReturnScheduler> logger)
{
    /// <summary>At most this many distinct warnings are kept for the summary (the log has every one).</summary>
    public const int MaxWarnings = 50;

    private readonly Lock _lock = new();
    private readonly List<string> _warnings = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>Distinct warnings raised while scheduling, for the command's summary (at most <see cref="MaxWarnings"/>).</summary>
    public IReadOnlyList<string> Warnings
    {
        get
        {
            lock (_lock) return _warnings.ToList();
        }
    }

    public async Task<NextWorkingDay> DueDateAsync(DateOnly businessDate, CancellationToken ct)
    {
        var calendar = await calendars.CurrentAsync(ct);
        var due = calendar.NextWorkingDayAfter(businessDate);
        if (!due.Covered)
        {
            logger.LogError("Returns: {Warning}", due.Warning);
            lock (_lock)
            {
                if (_warnings.Count < MaxWarnings && _seen.Add(due.Warning!)) _warnings.Add(due.Warning!);
            }
        }
        return due;
    }

    /// <summary>Inserts the return in the caller's completion transaction (once per voucher).</summary>
    public async Task ScheduleAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long voucherId, DateOnly businessDate, int count, long fen, CancellationToken ct)
    {
        var due = await DueDateAsync(businessDate, ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into returns (voucher_id, due_date, due_covered, return_count, return_fen, status)
            values (@voucherId, @due, @covered, @count, @fen, @scheduled)
            on conflict (voucher_id) do nothing
            """, new { voucherId, due = due.Date, covered = due.Covered, count, fen, scheduled = ReturnStatus.Scheduled }, tx, cancellationToken: ct));
    }
}
