using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Database;

/// <summary>Where the gateway's connection string came from.</summary>
public enum DatabaseSource
{
    /// <summary><c>ConnectionStrings:Gateway</c> in configuration.</summary>
    Configuration,

    /// <summary>The environment variable <c>BANKGATEWAY_DB</c>.</summary>
    Environment,

    /// <summary>The embedded default PostgreSQL under <c>BANKGATEWAY_HOME</c>.</summary>
    Embedded,
}

/// <summary>A resolved connection string and its origin (for the start-up log).</summary>
/// <param name="ConnectionString">The Npgsql connection string.</param>
/// <param name="Source">Where it came from.</param>
public sealed record ResolvedDatabase(string ConnectionString, DatabaseSource Source);

/// <summary>
/// Finds the gateway's PostgreSQL (contract §10–§11): <c>ConnectionStrings:Gateway</c>, else
/// <c>BANKGATEWAY_DB</c>, else the embedded default, which is started on the way.
/// </summary>
public static class DatabaseLocator
{
    /// <summary>Name under <c>ConnectionStrings</c>.</summary>
    public const string ConnectionStringName = "Gateway";

    /// <summary>Environment variable consulted when configuration has no connection string.</summary>
    public const string EnvironmentVariable = "BANKGATEWAY_DB";

    private const string ApplicationName = "BankGateway.Worker";

    /// <summary>
    /// Resolves the connection string, starting the embedded server when nothing is configured.
    /// </summary>
    /// <param name="configuration">The worker's configuration.</param>
    /// <param name="logger">Receives which source was chosen (never the password).</param>
    /// <param name="cancellationToken">Cancels waiting for the embedded server.</param>
    /// <param name="environment">Reads environment variables; tests pass their own.</param>
    /// <param name="embeddedOptions">Options of the embedded server, if it is used.</param>
    public static async Task<ResolvedDatabase> ResolveAsync(
        IConfiguration configuration,
        ILogger logger,
        CancellationToken cancellationToken,
        Func<string, string?>? environment = null,
        EmbeddedPostgresOptions? embeddedOptions = null)
    {
        environment ??= System.Environment.GetEnvironmentVariable;

        var configured = configuration.GetConnectionString(ConnectionStringName);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            logger.LogInformation("Database: ConnectionStrings:{Name} ({Target})", ConnectionStringName, Describe(configured));
            return new ResolvedDatabase(configured, DatabaseSource.Configuration);
        }

        var fromEnvironment = environment(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            logger.LogInformation("Database: {Variable} ({Target})", EnvironmentVariable, Describe(fromEnvironment));
            return new ResolvedDatabase(fromEnvironment, DatabaseSource.Environment);
        }

        var home = GatewayHome.Resolve(environment);
        logger.LogInformation("Database: embedded PostgreSQL under {Home}", home.Root);
        embeddedOptions ??= new EmbeddedPostgresOptions();
        if (configuration["Gateway:Database:EmbeddedStartTimeoutSeconds"] is { Length: > 0 } startTimeout)
        {
            if (!int.TryParse(startTimeout, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds is < 5 or > 86_400)
            {
                throw new InvalidOperationException($"Gateway:Database:EmbeddedStartTimeoutSeconds must be a whole number of seconds from 5 to 86400, not '{startTimeout}'.");
            }

            embeddedOptions = embeddedOptions with { StartTimeout = TimeSpan.FromSeconds(seconds) };
        }

        var embedded = new EmbeddedPostgres(home, logger, embeddedOptions);
        return new ResolvedDatabase(await embedded.StartAsync(cancellationToken), DatabaseSource.Embedded);
    }

    /// <summary>
    /// Resolves the database (see <see cref="ResolveAsync"/>) and builds the worker's data source.
    /// Migrations are separate: <see cref="MigrationRunner"/>.
    /// </summary>
    public static async Task<NpgsqlDataSource> OpenAsync(IConfiguration configuration, ILogger logger, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(configuration, logger, cancellationToken);
        return Build(resolved.ConnectionString);
    }

    /// <summary>Builds a data source for <paramref name="connectionString"/> as <see cref="Complete"/> completes it.</summary>
    public static NpgsqlDataSource Build(string connectionString) => new NpgsqlDataSourceBuilder(Complete(connectionString)).Build();

    /// <summary>
    /// The connection string every part of the worker uses (its data source and Quartz's job store): the application
    /// named for <c>pg_stat_activity</c>, dead sessions noticed within seconds, no JIT, and with several hosts (a primary
    /// and its standbys) a newly promoted primary recognised within seconds.
    /// </summary>
    public static string Complete(string connectionString)
    {
        NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            // Npgsql's message would echo the whole string, password included.
            throw new InvalidOperationException($"The database connection string is not valid: {ex.GetType().Name}. Check ConnectionStrings:Gateway / BANKGATEWAY_DB.", ex);
        }

        settings.ApplicationName ??= ApplicationName;
        // A killed worker's session must end within seconds, even mid-statement, so its voucher claim
        // lapses and its open chunk transaction rolls back (PostgreSQL 14+).
        DefaultServerOption(settings, "client_connection_check_interval", "2000");
        // JIT compiles each execution anew: a 50,000-line posting chunk spent 0.9 s of its 2.1 s compiling (D54).
        // The gateway's statements are many and short; none runs long enough to win that back.
        DefaultServerOption(settings, "jit", "off");
        // Npgsql remembers each host's role for HostRecheckSeconds (default 10): after a promotion the new primary
        // would be taken for a standby that long (specs/operations.md, "Database failover").
        if (settings.Host?.Contains(',', StringComparison.Ordinal) == true && settings.HostRecheckSeconds == DefaultHostRecheckSeconds)
            settings.HostRecheckSeconds = MultiHostRecheckSeconds;
        return settings.ConnectionString;
    }

    /// <summary>Adds <c>-c name=value</c> to the session's startup options unless the string's <c>Options</c> set it already.</summary>
    private static void DefaultServerOption(NpgsqlConnectionStringBuilder settings, string name, string value)
    {
        if (settings.Options?.Contains(name + "=", StringComparison.Ordinal) != true)
            settings.Options = $"{settings.Options} -c {name}={value}".Trim();
    }

    private const int DefaultHostRecheckSeconds = 10;
    private const int MultiHostRecheckSeconds = 2;

    private static string Describe(string connectionString)
    {
        try
        {
            var settings = new NpgsqlConnectionStringBuilder(connectionString);
            return $"host {settings.Host}, database {settings.Database}, user {settings.Username}";
        }
        catch (ArgumentException)
        {
            return "unparsable";
        }
    }
}
