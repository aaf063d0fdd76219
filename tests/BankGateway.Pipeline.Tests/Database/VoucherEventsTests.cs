using System.Text.RegularExpressions;
using BankGateway.Domain.States;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Pipeline.Tests.Service;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Containment;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using BankGateway.Worker.Returns;
using BankGateway.Worker.States;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Database;

/// <summary>
/// Voucher and return states against the schema (migration 010): the types and the CHECK constraints list the
/// same texts, the database allows the same moves as the types, and every status change writes exactly one
/// voucher_events row in its own transaction, with who and why. On the sample day (run-once of 2024-09-30) plus
/// one voucher taken but not posted, which the operator and the quarantine move around.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class VoucherEventsTests
{
    private const string OpenVoucherNo = "ZF2024910009";
    private GatewayHarness _gateway = null!;
    private ReturnsJob _returns = null!;
    private long _open;

    private sealed record Event(long Id, long VoucherId, string Subject, string? FromStatus, string ToStatus, string Actor, string Reason, long XactId);

    [OneTimeSetUp]
    public async Task SampleDay()
    {
        (_gateway, _returns) = await ReturnsJobTests.SampleDayAsync("voucher_events");
        string inbox = Path.Combine(_gateway.Work, "open");
        LargeVoucher.Write(inbox, Path.Combine(_gateway.Work, "open-data"), 3, Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem")),
            OpenVoucherNo, accountMultiple: 1, firstAccount: 300_001);
        foreach (var set in new LocalInbox(inbox, NullLogger.Instance, TimeSpan.FromMinutes(30), TimeProvider.System).FindCompleteSets())
            await _gateway.Get<VoucherIntake>().TakeAsync(set, SampleFiles.FinancePublic, new DateOnly(2024, 9, 30), CancellationToken.None);
        _open = await _gateway.ScalarAsync<long>("select id from vouchers where voucher_no = @no", new { no = OpenVoucherNo });
    }

    [OneTimeTearDown]
    public async Task Stop() => await _gateway.DisposeAsync();

    private Task<List<Event>> EventsAsync(long voucherId, string subject = "voucher") => _gateway.QueryAsync<Event>(
        "select id, voucher_id, subject, from_status, to_status, actor, reason, xact_id::text::bigint as xact_id from voucher_events where voucher_id = @voucherId and subject = @subject order by id",
        new { voucherId, subject });

    // A row's xmin is the 32-bit transaction id that wrote it; xact_id is the 64-bit one.
    private Task<long> XminAsync(string table, string where, object args) =>
        _gateway.ScalarAsync<long>($"select xmin::text::bigint from {table} where {where} limit 1", args);

    [Test]
    public async Task Every_status_the_schema_checks_is_a_member_of_its_type_and_every_member_is_allowed()
    {
        await using var connection = await _gateway.Db.OpenConnectionAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await CheckedTextsAsync(connection, "vouchers", "status"), Is.EquivalentTo(VoucherStatus.All.Select(s => s.Text)));
            Assert.That(await CheckedTextsAsync(connection, "returns", "status"), Is.EquivalentTo(ReturnStatus.All.Select(s => s.Text)));
            Assert.That(await CheckedTextsAsync(connection, "deliveries", "outcome"), Is.EquivalentTo(DeliveryOutcome.All.Select(s => s.Text)));
            Assert.That(await CheckedTextsAsync(connection, "file_deliveries", "state"), Is.EquivalentTo(FileDeliveryState.All.Select(s => s.Text)));
        });
    }

    [Test]
    public async Task Every_status_text_in_the_worker_sql_is_one_the_schema_allows()
    {
        // Literals a query compares status or outcome with (status = 'X', status in ('X', 'Y'), case outcome when 'X').
        await using var connection = await _gateway.Db.OpenConnectionAsync();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (table, column) in await connection.QueryAsync<(string, string)>("""
                     select c.conrelid::regclass::text, a.attname from pg_constraint c
                     join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
                     where c.contype = 'c' and a.attname in ('status', 'outcome', 'state', 'kind')
                     """))
            known.UnionWith(await CheckedTextsAsync(connection, table, column));
        string source = Path.Combine(SampleFiles.RepoRoot(), "src", "BankGateway.Worker");
        var found = new List<string>();
        foreach (string file in Directory.EnumerateFiles(source, "*.*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".cshtml", StringComparison.Ordinal) || f.EndsWith(".sql", StringComparison.Ordinal)))
        {
            foreach (Match m in StatusComparison().Matches(File.ReadAllText(file)))
                foreach (Match literal in QuotedWord().Matches(m.Value))
                    found.Add($"{Path.GetRelativePath(source, file)}: {literal.Groups[1].Value}");
        }
        Assert.That(found, Is.Not.Empty, "the scan finds the status literals queries still use (a scan that finds nothing proves nothing)");
        Assert.That(found.Where(f => !known.Contains(f[(f.LastIndexOf(' ') + 1)..])), Is.Empty);
    }

    [Test]
    public async Task The_database_allows_exactly_the_moves_the_types_allow()
    {
        await using var connection = await _gateway.Db.OpenConnectionAsync();
        async Task Compare<T>(string subject, StateMachine<T> machine)
            where T : State
        {
            foreach (var from in machine.Members.Cast<T?>().Prepend(null))
                foreach (var to in machine.Members)
                {
                    bool database = await connection.ExecuteScalarAsync<bool>(
                        "select voucher_status_can_move(@subject, @from, @to)", new { subject, from = from?.Text, to = to.Text });
                    Assert.That(database, Is.EqualTo(machine.CanMove(from, to)), $"{subject} {from?.Text ?? "(new)"} → {to}");
                }
        }

        await Compare("voucher", VoucherStatus.Machine);
        await Compare("return", ReturnStatus.Machine);
    }

    [Test]
    public async Task Each_transition_of_the_sample_day_wrote_exactly_one_event_in_the_transaction_that_made_it()
    {
        var completed = await _gateway.QueryAsync<long>("select id from vouchers where status = 'COMPLETED' order by id");
        Assert.That(completed, Has.Count.GreaterThanOrEqualTo(2));
        foreach (long id in completed)
        {
            var events = await EventsAsync(id);
            Assert.That(events.Select(e => $"{e.FromStatus}>{e.ToStatus}"), Is.EqualTo(new[] { ">RECEIVED", "RECEIVED>POSTING", "POSTING>COMPLETED" }), $"voucher {id}");
            Assert.That(events.Select(e => e.Actor), Is.All.EqualTo("system"));
            Assert.That(events.Select(e => e.Reason), Is.EqualTo(new[] { "intake", "posting", "posting" }));
            // Intake records the voucher and its delivery together; funding writes the F journal legs.
            Assert.That(events[0].XactId % (1L << 32), Is.EqualTo(await XminAsync("deliveries", "voucher_id = @id", new { id })), "RECEIVED with intake");
            Assert.That(events[1].XactId % (1L << 32), Is.EqualTo(await XminAsync("journal", "voucher_id = @id and kind = 'F'", new { id })), "POSTING with funding");
        }

        // Completion schedules the return of failed lines in its own transaction: both events are in it.
        var withReturns = await _gateway.QueryAsync<long>("select voucher_id from returns order by voucher_id");
        Assert.That(withReturns, Is.Not.Empty);
        foreach (long id in withReturns)
        {
            long completion = (await EventsAsync(id)).Single(e => e.ToStatus == "COMPLETED").XactId;
            var scheduled = (await EventsAsync(id, "return")).First(); // executing it (another test) adds a second
            Assert.That((scheduled.FromStatus, scheduled.ToStatus), Is.EqualTo(((string?)null, "SCHEDULED")));
            Assert.That(scheduled.XactId, Is.EqualTo(completion));
        }
    }

    [Test]
    public async Task An_executed_return_is_one_event_by_whoever_executed_it()
    {
        ReturnsJobTests.SetChinaTime(_gateway, 10, 8, 9, 0);
        Assert.That(await _returns.RunDueAsync(CancellationToken.None), Is.Not.Null.And.Not.Empty);
        foreach (long id in await _gateway.QueryAsync<long>("select voucher_id from returns order by voucher_id"))
        {
            var events = await EventsAsync(id, "return");
            Assert.That(events.Select(e => $"{e.FromStatus}>{e.ToStatus}"), Is.EqualTo(new[] { ">SCHEDULED", "SCHEDULED>EXECUTED" }));
            Assert.That(events[1].Actor, Is.EqualTo(await _gateway.ScalarAsync<string>("select executed_by from returns where voucher_id = @id", new { id })));
            Assert.That(events[1].XactId % (1L << 32), Is.EqualTo(await XminAsync("returns", "voucher_id = @id", new { id })));
        }
    }

    [Test]
    public async Task Quarantine_hold_cli_release_and_dashboard_hold_each_record_who_and_why()
    {
        Assert.That((await EventsAsync(_open)).Select(e => $"{e.FromStatus}>{e.ToStatus}"), Is.EqualTo(new[] { ">RECEIVED" }), "taken, not posted");
        var quarantine = _gateway.Get<Quarantine>();
        await quarantine.HoldVoucherAsync(_open, new IOException("disk full"), CancellationToken.None);
        long held = (await quarantine.OpenAsync(CancellationToken.None)).Single(h => h.VoucherId == _open).Id;
        Assert.That(await quarantine.ReleaseAsync(held, "cli:alice", CancellationToken.None), Is.True);
        var actions = ActivatorUtilities.CreateInstance<VoucherActions>(_gateway.Services, new DashboardOptions());
        Assert.That((await actions.HoldAsync(_open, "RECEIVED", "op1", CancellationToken.None)).Changed, Is.True);
        Assert.That((await actions.ReleaseAsync(_open, "HELD", "op2", CancellationToken.None, "财政来电")).Changed, Is.True);

        var events = (await EventsAsync(_open)).Skip(1).Select(e => $"{e.FromStatus}>{e.ToStatus} {e.Actor}: {e.Reason}");
        Assert.That(events, Is.EqualTo(new[]
        {
            "RECEIVED>HELD system: quarantine: IOException: disk full",
            "HELD>RECEIVED cli:alice: quarantine.release",
            "RECEIVED>HELD op1: voucher.hold",
            "HELD>RECEIVED op2: 财政来电",
        }));

        // The history shows them, newest first, in the screen's words.
        var queries = new DashboardQueries(_gateway.Db, _gateway.Get<GatewayClock>(), _gateway.Get<GatewaySettings>(), _gateway.Services);
        var header = (await queries.VoucherAsync(_open, CancellationToken.None))!;
        var history = (await queries.HistoryAsync(header, CancellationToken.None)).Where(h => h.Source == "voucher_events").ToList();
        Assert.That(history.Select(h => $"{Display.Transition(h.What, h.FromStatus, h.ToStatus!)} {h.Actor ?? "系统"} {h.Detail}"), Is.EqualTo(new[]
        {
            "凭证状态：已暂停 → 已接收 op2 财政来电",
            "凭证状态：已接收 → 已暂停 op1 voucher.hold",
            "凭证状态：已暂停 → 已接收 cli:alice quarantine.release",
            "凭证状态：已接收 → 已暂停 系统 quarantine: IOException: disk full",
            "凭证状态：已接收 系统 intake",
        }));
    }

    [Test]
    public async Task A_rolled_back_change_leaves_no_event_and_a_move_the_type_forbids_is_refused()
    {
        int before = (await EventsAsync(_open)).Count;
        var status = VoucherStatus.Parse(await _gateway.ScalarAsync<string>("select status from vouchers where id = @id", new { id = _open }));
        var next = VoucherStatus.All.First(s => VoucherStatus.CanMove(status, s));
        await using (var connection = await _gateway.Db.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await VoucherTransitions.SetContextAsync(connection, tx, "op1", "changed my mind", CancellationToken.None);
            await connection.ExecuteAsync("update vouchers set status = @next where id = @id", new { next, id = _open }, tx);
            Assert.That(await connection.ExecuteScalarAsync<long>("select count(*) from voucher_events where voucher_id = @id", new { id = _open }, tx),
                Is.EqualTo(before + 1), "the event is there inside the transaction");
            await tx.RollbackAsync();
        }
        Assert.That(await EventsAsync(_open), Has.Count.EqualTo(before), "rolled back with the change");

        var refused = Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var connection = await _gateway.Db.OpenConnectionAsync();
            await connection.ExecuteAsync("update vouchers set status = @completed where id = @id", new { completed = VoucherStatus.Completed, id = _open });
        });
        Assert.That(refused!.SqlState, Is.EqualTo(PostgresErrorCodes.CheckViolation));
        Assert.That(refused.MessageText, Does.Contain($"cannot move from {status} to COMPLETED"));
        Assert.That(await _gateway.ScalarAsync<string>("select status from vouchers where id = @id", new { id = _open }), Is.EqualTo(status.Text));
        Assert.That(await EventsAsync(_open), Has.Count.EqualTo(before));
    }

    // The quoted texts of a CHECK constraint on table.column: check ((status = ANY (ARRAY['A'::text, 'B'::text]))).
    private static async Task<IReadOnlyList<string>> CheckedTextsAsync(NpgsqlConnection connection, string table, string column)
    {
        var definitions = await connection.QueryAsync<string>("""
            select pg_get_constraintdef(c.oid) from pg_constraint c
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
            where c.contype = 'c' and c.conrelid = @table::regclass and a.attname = @column
            """, new { table, column });
        return definitions.SelectMany(d => QuotedWord().Matches(d).Select(m => m.Groups[1].Value)).Distinct().ToList();
    }

    [GeneratedRegex(@"\b(?:status|outcome)\s*(?:=|<>|!=)\s*'[A-Z_]+'|\b(?:status|outcome)\s+(?:not\s+)?in\s*\([^)]*'[A-Z_]+'[^)]*\)|\bcase\s+(?:\w+\.)?(?:status|outcome)\s+when\s+'[A-Z_]+'", RegexOptions.IgnoreCase)]
    private static partial Regex StatusComparison();

    [GeneratedRegex("'([A-Z_]+)'")]
    private static partial Regex QuotedWord();
}
