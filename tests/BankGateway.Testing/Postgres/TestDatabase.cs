using System.Text;
using Npgsql;

namespace BankGateway.Testing.Postgres;

/// <summary>
/// The PostgreSQL every database test uses. With <c>BANKGATEWAY_TEST_DB</c> set (a connection
/// string to a server where tests may create databases) that server is used; otherwise one
/// throwaway cluster is started per test run and stopped when the run ends. Each test class
/// gets its own database via <see cref="CreateDatabaseAsync(string, CancellationToken)"/>,
/// dropped first so reruns start clean.
/// </summary>
/// <example>
/// <code>
/// var db = await TestDatabase.GetSharedAsync();
/// var connectionString = await db.CreateDatabaseAsync(GetType());
/// </code>
/// </example>
public sealed class TestDatabase : IAsyncDisposable
{
    /// <summary>The environment variable naming an existing server for tests.</summary>
    public const string EnvironmentVariable = "BANKGATEWAY_TEST_DB";

    private const int MaxIdentifierBytes = 63;

    private static readonly Lazy<Task<TestDatabase>> Shared = new(StartSharedAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly TestCluster? _cluster;

    private TestDatabase(string serverConnectionString, TestCluster? cluster)
    {
        ServerConnectionString = serverConnectionString;
        _cluster = cluster;
    }

    /// <summary>Connection string of the maintenance database, for creating and dropping databases.</summary>
    public string ServerConnectionString { get; }

    /// <summary>True when this instance started its own cluster (and so may kill and restart it).</summary>
    public bool OwnsCluster => _cluster is not null;

    /// <summary>The postmaster's pid of an owned cluster, else null.</summary>
    public int? PostmasterPid => _cluster?.ReadPostmasterPid();

    /// <summary>
    /// The server shared by the whole test run: <c>BANKGATEWAY_TEST_DB</c>, else a throwaway
    /// cluster with fsync off, started on first use and stopped when the test process exits.
    /// </summary>
    public static Task<TestDatabase> GetSharedAsync() => Shared.Value;

    /// <summary>
    /// Starts a cluster of the caller's own, whatever <c>BANKGATEWAY_TEST_DB</c> says: for tests
    /// that kill or restart the server (pass <c>Fsync = true</c> for crash tests). Dispose it.
    /// </summary>
    public static async Task<TestDatabase> StartPrivateAsync(TestClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        var cluster = await TestCluster.StartAsync(options ?? new TestClusterOptions(), cancellationToken);
        return new TestDatabase(cluster.AdminConnectionString, cluster);
    }

    /// <summary>Creates a fresh database named after <paramref name="testClass"/> (lowercased).</summary>
    public Task<string> CreateDatabaseAsync(Type testClass, CancellationToken cancellationToken = default) =>
        CreateDatabaseAsync(testClass.Name, cancellationToken);

    /// <summary>
    /// Drops <paramref name="name"/> (lowercased; characters other than letters, digits and
    /// <c>_</c> become <c>_</c>) if it exists, creates it empty, and returns its connection string.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        var database = ToIdentifier(name);
        var target = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database, Pooling = true };

        // Pooled connections to the old database die with it; do not hand them out again.
        await using (var stale = new NpgsqlConnection(target.ConnectionString))
        {
            NpgsqlConnection.ClearPool(stale);
        }

        await using var admin = new NpgsqlConnection(ServerConnectionString);
        await admin.OpenAsync(cancellationToken);
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin))
        {
            await drop.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        return target.ConnectionString;
    }

    /// <summary>SIGKILLs the postmaster of an owned cluster (crash tests).</summary>
    public Task KillServerAsync(CancellationToken cancellationToken = default) =>
        (_cluster ?? throw NotOwned()).KillAsync(cancellationToken);

    /// <summary>Starts an owned cluster again after <see cref="KillServerAsync"/>; PostgreSQL runs crash recovery.</summary>
    public Task RestartServerAsync(CancellationToken cancellationToken = default) =>
        (_cluster ?? throw NotOwned()).RestartAsync(cancellationToken);

    /// <summary>Stops and removes an owned cluster; nothing for an external server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<TestDatabase> StartSharedAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            var settings = new NpgsqlConnectionStringBuilder(external);
            settings.Database ??= "postgres";
            settings.Pooling = false;
            return new TestDatabase(settings.ConnectionString, null);
        }

        var cluster = await TestCluster.StartAsync(new TestClusterOptions(), CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAtExit();
        return new TestDatabase(cluster.AdminConnectionString, cluster);
    }

    private static string ToIdentifier(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            builder.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_');
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, "t_");
        }

        return builder.Length > MaxIdentifierBytes ? builder.ToString(0, MaxIdentifierBytes) : builder.ToString();
    }

    private static InvalidOperationException NotOwned() =>
        new("This TestDatabase uses a server it did not start; use TestDatabase.StartPrivateAsync for tests that kill the server.");
}
