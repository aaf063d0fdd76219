using BankGateway.Testing.Postgres;
using BankGateway.Worker.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Database;

[TestFixture]
public sealed class MigrationRunnerTests
{
    private static readonly (string Name, string Sql)[] TwoMigrations =
    [
        ("001_accounts.sql", "CREATE TABLE accounts (number text PRIMARY KEY);"),
        ("002_postings.sql", "CREATE TABLE postings (id bigint PRIMARY KEY, account text REFERENCES accounts);"),
    ];

    private NpgsqlDataSource _dataSource = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        var server = await TestDatabase.GetSharedAsync();
        var connectionString = await server.CreateDatabaseAsync($"{nameof(MigrationRunnerTests)}_{TestContext.CurrentContext.Test.MethodName}");
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    [TearDown]
    public async Task DisposeDataSource() => await _dataSource.DisposeAsync();

    [Test]
    public async Task Migrations_apply_once_in_version_order_and_are_recorded_with_checksums()
    {
        // Given out of order on purpose: the version decides.
        var runner = new MigrationRunner([TwoMigrations[1], TwoMigrations[0]], NullLogger.Instance);

        var first = await runner.RunAsync(_dataSource, CancellationToken.None);
        var second = await runner.RunAsync(_dataSource, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(first, Is.EqualTo(2));
            Assert.That(second, Is.Zero);
            Assert.That(await RecordedAsync(), Is.EqualTo(new[]
            {
                $"1 accounts {MigrationRunner.ComputeChecksum(TwoMigrations[0].Sql)}",
                $"2 postings {MigrationRunner.ComputeChecksum(TwoMigrations[1].Sql)}",
            }));
        });
    }

    [Test]
    public async Task A_new_migration_is_applied_on_top_of_applied_ones()
    {
        await new MigrationRunner([TwoMigrations[0]], NullLogger.Instance).RunAsync(_dataSource, CancellationToken.None);

        var applied = await new MigrationRunner(TwoMigrations, NullLogger.Instance).RunAsync(_dataSource, CancellationToken.None);

        Assert.That(applied, Is.EqualTo(1));
        Assert.That(await RecordedAsync(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Concurrent_runners_apply_each_migration_exactly_once()
    {
        // CREATE TABLE without IF NOT EXISTS: a second application would fail.
        var runs = Enumerable.Range(0, 6)
            .Select(_ => Task.Run(() => new MigrationRunner(TwoMigrations, NullLogger.Instance).RunAsync(_dataSource, CancellationToken.None)));

        var applied = await Task.WhenAll(runs);

        Assert.That(applied.Sum(), Is.EqualTo(2));
        Assert.That(await RecordedAsync(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task An_applied_migration_whose_file_changed_stops_start_up()
    {
        await new MigrationRunner(TwoMigrations, NullLogger.Instance).RunAsync(_dataSource, CancellationToken.None);
        var edited = new MigrationRunner(
            [TwoMigrations[0], ("002_postings.sql", "CREATE TABLE postings (id bigint PRIMARY KEY, amount bigint);"), ("003_more.sql", "CREATE TABLE more (id int);")],
            NullLogger.Instance);

        var error = Assert.ThrowsAsync<MigrationException>(() => edited.RunAsync(_dataSource, CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("002_postings").And.Contain("checksum").And.Contain("new migration"));
        Assert.That(await RecordedAsync(), Has.Count.EqualTo(2), "nothing applied after a mismatch");
    }

    [Test]
    public async Task Line_endings_do_not_count_as_a_change()
    {
        const string script = "CREATE TABLE accounts (\n    number text PRIMARY KEY\n);\n";
        await new MigrationRunner([("001_accounts.sql", script)], NullLogger.Instance).RunAsync(_dataSource, CancellationToken.None);

        var windowsCheckout = new MigrationRunner(
            [("001_accounts.sql", "\uFEFF" + script.Replace("\n", "\r\n", StringComparison.Ordinal))],
            NullLogger.Instance);

        Assert.That(await windowsCheckout.RunAsync(_dataSource, CancellationToken.None), Is.Zero);
    }

    [Test]
    public async Task A_database_newer_than_the_build_is_refused()
    {
        await new MigrationRunner(TwoMigrations, NullLogger.Instance).RunAsync(_dataSource, CancellationToken.None);

        var older = new MigrationRunner([TwoMigrations[0]], NullLogger.Instance);

        var error = Assert.ThrowsAsync<MigrationException>(() => older.RunAsync(_dataSource, CancellationToken.None));
        Assert.That(error!.Message, Does.Contain("002_postings").And.Contain("newer"));
    }

    [Test]
    public async Task A_failing_migration_is_rolled_back_and_not_recorded()
    {
        var runner = new MigrationRunner(
            [TwoMigrations[0], ("002_broken.sql", "CREATE TABLE half (id int); SELECT no_such_function();")],
            NullLogger.Instance);

        var error = Assert.ThrowsAsync<MigrationException>(() => runner.RunAsync(_dataSource, CancellationToken.None));

        Assert.That(error!.Message, Does.Contain("002_broken").And.Contain("rolled back"));
        Assert.That(await RecordedAsync(), Has.Count.EqualTo(1));
        await using var command = _dataSource.CreateCommand("SELECT to_regclass('half') IS NULL");
        Assert.That(await command.ExecuteScalarAsync(), Is.True);
    }

    [Test]
    public void File_names_must_be_numbered_and_versions_unique()
    {
        Assert.Throws<MigrationException>(() => _ = new MigrationRunner([("accounts.sql", "SELECT 1")], NullLogger.Instance));
        Assert.Throws<MigrationException>(() => _ = new MigrationRunner([("001_a.sql", "SELECT 1"), ("001_b.sql", "SELECT 1")], NullLogger.Instance));
    }

    [Test]
    public async Task The_worker_s_embedded_migrations_apply_to_an_empty_database_and_then_are_current()
    {
        var scripts = MigrationRunner.EmbeddedScripts();
        Assert.That(scripts.Select(s => s.Name), Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));

        var runner = new MigrationRunner(NullLogger.Instance);

        Assert.That(await runner.RunAsync(_dataSource, CancellationToken.None), Is.EqualTo(scripts.Count));
        Assert.That(await runner.RunAsync(_dataSource, CancellationToken.None), Is.Zero);
    }

    private async Task<List<string>> RecordedAsync()
    {
        var rows = new List<string>();
        await using var command = _dataSource.CreateCommand("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetInt32(0)} {reader.GetString(1)} {reader.GetString(2)}");
        }

        return rows;
    }
}
