using BankGateway.Domain.Calendar;
using BankGateway.Files.Formats;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Returns;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>Failed money returns on the next working day of China's official calendar, 调休 included.</summary>
[TestFixture]
[NonParallelizable]
public sealed class WorkingDayReturnTests
{
    private static async Task<GatewayHarness> DayAsync(string name, DateOnly businessDate)
    {
        var server = await TestDatabase.GetSharedAsync();
        var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(name), SampleFiles.Key("bank_private.pem"));
        string samples = SampleFiles.CopyTo(gateway.Work);
        await gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
        await gateway.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
        await gateway.RunOnceAsync(Path.Combine(samples, "inbox"), SampleFiles.FinancePublic, businessDate);
        return gateway;
    }

    private static DateOnly? ReceiptReturnDate(GatewayHarness gateway)
    {
        using var stream = File.OpenRead(Path.Combine(gateway.Outbox, "HD_522726_ZF2024000124.xml"));
        return VoucherReceiptXml.Read(stream, "HD").ReturnDate;
    }

    [Test]
    public async Task Return_before_spring_festival_is_due_on_the_adjusted_working_saturday()
    {
        // 2026-02-13 is a Friday; Saturday 2026-02-14 is an adjusted working day (调休上班) before the holiday.
        await using var gateway = await DayAsync("return_spring_festival", new DateOnly(2026, 2, 13));
        Assert.That(ReceiptReturnDate(gateway), Is.EqualTo(new DateOnly(2026, 2, 14)));
        var returns = gateway.Get<ReturnService>();
        Assert.That(await returns.RunAsync(new DateOnly(2026, 2, 13), gateway.Outbox, "test", CancellationToken.None), Is.Empty);
        Assert.That(await returns.RunAsync(new DateOnly(2026, 2, 14), gateway.Outbox, "test", CancellationToken.None), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Calendar_answers_the_official_dates_across_holidays()
    {
        await using var gateway = await DayAsync("return_calendar_dates", new DateOnly(2024, 9, 30));
        var scheduler = gateway.Get<ReturnScheduler>();
        async Task<DateOnly> Due(int y, int m, int d) => (await scheduler.DueDateAsync(new DateOnly(y, m, d), CancellationToken.None)).Date;
        Assert.Multiple(async () =>
        {
            Assert.That(await Due(2024, 9, 30), Is.EqualTo(new DateOnly(2024, 10, 8)), "National Day 2024");
            Assert.That(await Due(2024, 9, 28), Is.EqualTo(new DateOnly(2024, 9, 29)), "Sunday 2024-09-29 is a 调休 working day");
            Assert.That(await Due(2024, 10, 11), Is.EqualTo(new DateOnly(2024, 10, 12)), "Saturday 2024-10-12 is a 调休 working day");
            Assert.That(await Due(2026, 2, 14), Is.EqualTo(new DateOnly(2026, 2, 24)), "Spring Festival 2026");
            Assert.That(await Due(2025, 12, 31), Is.EqualTo(new DateOnly(2026, 1, 4)), "New Year 2026, then the 调休 Sunday");
        });
        Assert.That(scheduler.Warnings, Is.Empty);
    }

    [Test]
    public async Task Due_date_in_a_year_the_calendar_lacks_is_flagged_loudly_until_the_year_is_imported()
    {
        await using var gateway = await DayAsync("return_uncovered_year", new DateOnly(2027, 6, 30));
        var scheduler = gateway.Get<ReturnScheduler>();
        Assert.That(scheduler.Warnings, Has.Count.GreaterThan(0));
        Assert.That(scheduler.Warnings[0], Does.Contain("2027"));
        Assert.That(await gateway.ScalarAsync<bool>("select bool_or(not due_covered) from returns"), Is.True, "the guess is recorded as a guess");

        string file = Path.Combine(gateway.Work, "cal2027.json");
        File.WriteAllText(file, """{ "2027": { "holidays": ["2027-07-01"], "workdays": [] } }""");
        await using (var stream = File.OpenRead(file))
            await gateway.Get<CalendarStore>().ImportAsync(CalendarJson.Read(stream, "cal2027.json"), CancellationToken.None);
        var calendar = await gateway.Get<CalendarStore>().LoadAsync(CancellationToken.None);
        NextWorkingDay next = calendar.NextWorkingDayAfter(new DateOnly(2027, 6, 30));
        Assert.That((next.Date, next.Covered), Is.EqualTo((new DateOnly(2027, 7, 2), true)), "an operator's calendar import takes effect without a rebuild");
    }

    [Test]
    public async Task A_calendar_import_reaches_the_running_scheduler_and_repeated_warnings_are_kept_once()
    {
        await using var gateway = await DayAsync("return_calendar_reload", new DateOnly(2024, 9, 30));
        var scheduler = gateway.Get<ReturnScheduler>();
        var uncovered = await scheduler.DueDateAsync(new DateOnly(2027, 6, 30), CancellationToken.None);
        Assert.That(uncovered.Covered, Is.False, "2027 is not in the shipped calendar");
        for (int i = 0; i < 200; i++)
            await scheduler.DueDateAsync(new DateOnly(2027, 6, 30).AddDays(i % 3), CancellationToken.None);
        Assert.That(scheduler.Warnings, Has.Count.LessThanOrEqualTo(3), "the same warnings again are not kept again");
        Assert.That(scheduler.Warnings, Is.Unique);

        // An operator imports 2027 (another process: the CLI's calendar import) while the service runs.
        string file = Path.Combine(gateway.Work, "cal2027.json");
        File.WriteAllText(file, """{ "2027": { "holidays": ["2027-07-01"], "workdays": [] } }""");
        await using (var stream = File.OpenRead(file))
            await new CalendarStore(gateway.Db).ImportAsync(CalendarJson.Read(stream, "cal2027.json"), CancellationToken.None);

        var next = await scheduler.DueDateAsync(new DateOnly(2027, 6, 30), CancellationToken.None);
        Assert.That((next.Date, next.Covered), Is.EqualTo((new DateOnly(2027, 7, 2), true)), "the running scheduler uses the imported calendar");

        // A later import changing a day (same number of days) is seen as well.
        File.WriteAllText(file, """{ "2027": { "holidays": ["2027-07-02"], "workdays": [] } }""");
        await using (var stream = File.OpenRead(file))
            await new CalendarStore(gateway.Db).ImportAsync(CalendarJson.Read(stream, "cal2027.json"), CancellationToken.None);
        next = await scheduler.DueDateAsync(new DateOnly(2027, 6, 30), CancellationToken.None);
        Assert.That(next.Date, Is.EqualTo(new DateOnly(2027, 7, 1)));
    }
}
