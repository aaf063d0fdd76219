using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Database;
using BankGateway.Worker.Supervision;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Supervision;

/// <summary>
/// Contract §15 audit chain: the database trigger chains every insert, <c>audit verify</c> recomputes it in C# and
/// names the first entry changed or removed, even by a superuser who switches the append-only trigger off.
/// Each test has a database of its own, since the tampering tests break the chain on purpose.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AuditChainTests
{
    private string _work = null!;

    [OneTimeSetUp]
    public void Start() => _work = Directory.CreateTempSubdirectory("bg-audit-").FullName;

    [OneTimeTearDown]
    public void Cleanup() => Directory.Delete(_work, recursive: true);

    private static async Task<NpgsqlDataSource> FreshDatabaseAsync(string name, Func<string, Task>? beforeChain = null)
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync($"audit_{name}");
        var db = NpgsqlDataSource.Create(connectionString);
        if (beforeChain is not null)
        {
            var older = MigrationRunner.EmbeddedScripts().Where(s => string.CompareOrdinal(s.Name, "006") < 0).ToList();
            await new MigrationRunner(older, NullLogger.Instance).RunAsync(db, CancellationToken.None);
            await beforeChain(connectionString);
        }
        await new MigrationRunner(NullLogger.Instance).RunAsync(db, CancellationToken.None);
        return db;
    }

    private static async Task AppendAsync(NpgsqlDataSource db, int count, string actor = "tester")
    {
        await using var connection = await db.OpenConnectionAsync();
        for (int i = 0; i < count; i++)
        {
            // Awkward content on purpose: separators, escapes, null, CJK, a formula-looking text.
            string? detail = (i % 4) switch { 0 => null, 1 => "line one\nline two\\n not an escape", 2 => "金额 350.00 元", _ => "=HYPERLINK(\"x\")" };
            await AuditChain.AppendAsync(connection, null, actor, $"test.{i % 3}", i % 5 == 0 ? null : $"voucher:{i}", detail, CancellationToken.None);
        }
    }

    private static async Task TamperAsync(NpgsqlDataSource db, string sql)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync($"alter table audit_log disable trigger user; {sql}; alter table audit_log enable trigger user;");
    }

    private static async Task<long> IdAtAsync(NpgsqlDataSource db, int offset)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select id from audit_log order by id offset @offset limit 1", new { offset });
    }

    private WorkerProcess Worker(NpgsqlDataSource db) => new(Path.Combine(_work, "home"), db.ConnectionString);

    [Test]
    public async Task Intact_chain_holds_and_the_command_exits_0_with_the_count()
    {
        await using var db = await FreshDatabaseAsync("intact");
        await AppendAsync(db, 25);
        var result = await new AuditVerifier(db).VerifyAsync(CancellationToken.None);
        Assert.That(result.Holds, Is.True, result.Message);
        Assert.That(result.Entries, Is.EqualTo(25));

        var run = await Worker(db).RunAsync("audit", "verify");
        Assert.That(run.ExitCode, Is.Zero, run.Stdout + run.Stderr);
        Assert.That(run.Stdout, Does.Contain("chain holds (25 entries)"));
    }

    [Test]
    public async Task Hashes_are_the_ones_the_canonical_text_gives()
    {
        await using var db = await FreshDatabaseAsync("canonical");
        await AppendAsync(db, 4);
        await using var connection = await db.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(long Id, DateTime At, string Actor, string Action, string? Subject, string? Detail, string Prev, string Entry)>(
            "select id, at, actor, action, subject, detail, prev_sm3, entry_sm3 from audit_log order by id")).ToList();
        Assert.That(rows[0].Prev, Is.EqualTo(new string('0', 64)));
        Assert.That(rows.Select(r => r.Id), Is.EqualTo(Enumerable.Range((int)rows[0].Id, rows.Count).Select(i => (long)i)), "one sequence value per entry");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            Assert.That(r.Entry, Is.EqualTo(AuditEntryHash.Compute(r.Id, r.At, r.Actor, r.Action, r.Subject, r.Detail, r.Prev)));
            if (i > 0) Assert.That(r.Prev, Is.EqualTo(rows[i - 1].Entry));
        }
        Assert.That(AuditEntryHash.CanonicalText(7, new DateTime(2024, 9, 30, 1, 2, 3, DateTimeKind.Utc).AddTicks(40), "a\\b", "x", null, "l1\nl2", "00"),
            Is.EqualTo("bg-audit-v1\n7\n2024-09-30T01:02:03.000004Z\na\\\\b\nx\n\\N\nl1\\nl2\n00"));
    }

    [Test]
    public async Task Superuser_update_of_one_entry_is_found_and_named()
    {
        await using var db = await FreshDatabaseAsync("changed");
        await AppendAsync(db, 10);
        long victim = await IdAtAsync(db, 6);
        await TamperAsync(db, $"update audit_log set detail = 'nothing happened' where id = {victim}");

        var result = await new AuditVerifier(db).VerifyAsync(CancellationToken.None);
        Assert.That((result.Holds, result.BrokenId), Is.EqualTo((false, (long?)victim)), result.Message);
        Assert.That(result.Message, Does.Contain("content was changed"));

        var run = await Worker(db).RunAsync("audit", "verify");
        Assert.That(run.ExitCode, Is.EqualTo(1), run.Stdout + run.Stderr);
        Assert.That(run.Stdout, Does.Contain($"chain broken at entry {victim}"));
    }

    [Test]
    public async Task Rehashed_entry_is_found_by_the_next_link()
    {
        await using var db = await FreshDatabaseAsync("rehashed");
        await AppendAsync(db, 6);
        long victim = await IdAtAsync(db, 2);
        // A careful forger recomputes the changed entry's own hash (the trigger's function is at hand): the next entry's link still tells.
        await TamperAsync(db, $"update audit_log set actor = 'someone else', entry_sm3 = audit_log_entry_sm3(id, at, 'someone else', action, subject, detail, prev_sm3) where id = {victim}");
        var result = await new AuditVerifier(db).VerifyAsync(CancellationToken.None);
        Assert.That((result.Holds, result.BrokenId), Is.EqualTo((false, (long?)await IdAtAsync(db, 3))), result.Message);
    }

    [Test]
    public async Task Removed_entry_is_found_at_the_entry_after_it_and_removed_newest_entries_by_the_head()
    {
        await using var db = await FreshDatabaseAsync("removed");
        await AppendAsync(db, 8);
        long removed = await IdAtAsync(db, 3), next = await IdAtAsync(db, 4), last = await IdAtAsync(db, 7);
        await TamperAsync(db, $"delete from audit_log where id = {removed}");
        var middle = await new AuditVerifier(db).VerifyAsync(CancellationToken.None);
        Assert.That((middle.Holds, middle.BrokenId), Is.EqualTo((false, (long?)next)), middle.Message);
        Assert.That(middle.Message, Does.Contain("removed"));
        var run = await Worker(db).RunAsync("audit", "verify");
        Assert.That(run.ExitCode, Is.EqualTo(1), run.Stdout + run.Stderr);

        await using var tail = await FreshDatabaseAsync("removed_tail");
        await AppendAsync(tail, 5);
        long newest = await IdAtAsync(tail, 4);
        await TamperAsync(tail, $"delete from audit_log where id = {newest}");
        var end = await new AuditVerifier(tail).VerifyAsync(CancellationToken.None);
        Assert.That((end.Holds, end.BrokenId), Is.EqualTo((false, (long?)newest)), end.Message);
        Assert.That(last, Is.GreaterThan(next));

        await using var headless = await FreshDatabaseAsync("removed_head");
        await AppendAsync(headless, 3);
        await using (var connection = await headless.OpenConnectionAsync())
            await connection.ExecuteAsync("alter table audit_chain_head disable trigger user; delete from audit_chain_head; alter table audit_chain_head enable trigger user;");
        var noHead = await new AuditVerifier(headless).VerifyAsync(CancellationToken.None);
        Assert.That((noHead.Holds, noHead.BrokenId), Is.EqualTo((false, (long?)await IdAtAsync(headless, 2))), noHead.Message);
    }

    [Test]
    public async Task Append_only_trigger_still_refuses_changes()
    {
        await using var db = await FreshDatabaseAsync("append_only");
        await AppendAsync(db, 2);
        await using var connection = await db.OpenConnectionAsync();
        Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("update audit_log set detail = 'x'"));
        Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("delete from audit_log"));
    }

    [Test]
    public async Task Eight_concurrent_writers_with_rollbacks_leave_one_valid_chain()
    {
        await using var db = await FreshDatabaseAsync("concurrent");
        const int writers = 8, each = 40;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            await using var connection = await db.OpenConnectionAsync();
            for (int i = 0; i < each; i++)
            {
                await using var tx = await connection.BeginTransactionAsync();
                await AuditChain.AppendAsync(connection, tx, $"writer{w}", "concurrent", $"n:{i}", null, CancellationToken.None);
                if (i % 2 == 0) await AuditChain.AppendAsync(connection, tx, $"writer{w}", "concurrent.second", $"n:{i}", "same transaction", CancellationToken.None);
                if (i % 5 == 4) await tx.RollbackAsync(); // leaves id gaps, never a broken chain
                else await tx.CommitAsync();
            }
        })));

        var result = await new AuditVerifier(db).VerifyAsync(CancellationToken.None);
        long expected = writers * Enumerable.Range(0, each).Where(i => i % 5 != 4).Sum(i => i % 2 == 0 ? 2 : 1);
        Assert.That(result.Holds, Is.True, result.Message);
        Assert.That(result.Entries, Is.EqualTo(expected));
    }

    [Test]
    public async Task Entries_written_before_the_migration_are_backfilled_into_the_chain()
    {
        await using var db = await FreshDatabaseAsync("backfill", async connectionString =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            for (int i = 0; i < 5; i++)
                await connection.ExecuteAsync("insert into audit_log (actor, action, subject, detail) values ('old', 'before.chain', @s, null)", new { s = $"s{i}" });
        });
        await AppendAsync(db, 3);
        var result = await new AuditVerifier(db).VerifyAsync(CancellationToken.None);
        Assert.That((result.Holds, result.Entries), Is.EqualTo((true, 8L)), result.Message);
    }
}
