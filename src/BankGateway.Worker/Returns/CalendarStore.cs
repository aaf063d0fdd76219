using BankGateway.Domain.Calendar;
using BankGateway.Files.Formats;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.Returns;

/// <summary>
/// The working-day calendar lives in the database so operators can update it without a rebuild
/// (<c>calendar import</c>). The official data shipped with the product seeds it on first use.
/// </summary>
internal sealed class CalendarStore(NpgsqlDataSource db)
{
    public const string EmbeddedResource = "BankGateway.Worker.Calendar.cn-calendar.json";

    private readonly Lock _lock = new();
    private WorkingDayCalendar? _calendar;
    private string? _version;

    /// <summary>
    /// The calendar as the database has it now, cached: each call first compares the database calendar's
    /// fingerprint (<see cref="VersionAsync"/>, one small aggregate), so a <c>calendar import</c> by another process
    /// counts at the next call without a restart, and a dashboard page or a due date costs one query, not a reload.
    /// </summary>
    public async Task<WorkingDayCalendar> CurrentAsync(CancellationToken ct)
    {
        string version = await VersionAsync(ct);
        lock (_lock)
        {
            if (_version == version && _calendar is not null) return _calendar;
        }
        var loaded = await LoadAsync(ct);
        // Loading may seed missing shipped years: read the version after it, so the next call does not reload.
        version = await VersionAsync(ct);
        lock (_lock)
        {
            _calendar = loaded;
            _version = version;
        }
        return loaded;
    }

    public async Task<WorkingDayCalendar> LoadAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        // The official years ship with the product: any of them missing (a fresh database, or one where an
        // operator imported only a later year) is seeded; a year an operator imported is never overwritten.
        var present = (await connection.QueryAsync<int>(new CommandDefinition("select year from calendar_years", cancellationToken: ct))).ToHashSet();
        var shipped = Shipped().Where(y => !present.Contains(y.Year)).ToList();
        if (shipped.Count > 0) await ImportAsync(shipped, ct);
        var years = (await connection.QueryAsync<int>(new CommandDefinition("select year from calendar_years", cancellationToken: ct))).ToList();
        var days = (await connection.QueryAsync<(DateOnly Day, string Kind)>(new CommandDefinition("select day, kind from calendar_days", cancellationToken: ct))).ToList();
        return new WorkingDayCalendar(years.Select(y => new CalendarYear(
            y,
            days.Where(d => d.Day.Year == y && d.Kind == "H").Select(d => d.Day).ToHashSet(),
            days.Where(d => d.Day.Year == y && d.Kind == "W").Select(d => d.Day).ToHashSet())));
    }

    /// <summary>
    /// A fingerprint of the calendar in the database (years and days, with their kinds): it changes with every
    /// import that changes anything, and costs one aggregate over a few hundred rows per year.
    /// </summary>
    public async Task<string> VersionAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition("""
            select (select count(*) || ':' || coalesce(sum(hashtext(year::text)::bigint), 0) from calendar_years)
                || '/' || (select count(*) || ':' || coalesce(sum(hashtext(day::text || kind)::bigint), 0) from calendar_days)
            """, cancellationToken: ct)) ?? "";
    }

    private static IReadOnlyList<CalendarYear> Shipped()
    {
        using var stream = typeof(CalendarStore).Assembly.GetManifestResourceStream(EmbeddedResource)
            ?? throw new InvalidOperationException($"resource {EmbeddedResource} missing from the build");
        return CalendarJson.Read(stream, "cn-calendar.json");
    }

    /// <summary>Replaces every year present in <paramref name="years"/>; other years stay. Returns the years imported.</summary>
    public async Task<IReadOnlyList<int>> ImportAsync(IEnumerable<CalendarYear> years, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Jobs starting together on a fresh database all import the bundled calendar: one at a time.
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_xact_lock(hashtextextended('calendar import', 7))", transaction: tx, cancellationToken: ct));
        var imported = new List<int>();
        foreach (var year in years)
        {
            var from = new DateTime(year.Year, 1, 1);
            var to = new DateTime(year.Year, 12, 31);
            await connection.ExecuteAsync(new CommandDefinition(
                "delete from calendar_days where day between @from and @to; insert into calendar_years (year) values (@y) on conflict do nothing",
                new { from, to, y = year.Year }, tx, cancellationToken: ct));
            var rows = year.Holidays.Select(d => new { day = d.ToDateTime(TimeOnly.MinValue), kind = "H" })
                .Concat(year.Workdays.Select(d => new { day = d.ToDateTime(TimeOnly.MinValue), kind = "W" }));
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into calendar_days (day, kind) values (@day::date, @kind)", rows, tx, cancellationToken: ct));
            imported.Add(year.Year);
        }
        await tx.CommitAsync(ct);
        return imported;
    }
}
