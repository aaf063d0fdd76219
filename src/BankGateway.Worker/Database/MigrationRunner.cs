using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Database;

/// <summary>One schema migration: <c>NNN_name.sql</c>.</summary>
/// <param name="Version">The number in front of the name; migrations apply in this order.</param>
/// <param name="Name">The rest of the file name, without <c>.sql</c>.</param>
/// <param name="Sql">The script.</param>
/// <param name="Checksum">SHA-256 (hex) of the script with line endings normalised to LF.</param>
public sealed record Migration(int Version, string Name, string Sql, string Checksum);

/// <summary>A migration cannot be applied, or the database disagrees with this build's migrations.</summary>
public sealed class MigrationException : Exception
{
    /// <summary>Creates the exception with an operator-facing message.</summary>
    public MigrationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an operator-facing message and its cause.</summary>
    public MigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Applies the schema migrations, forward-only: each <c>Database/Migrations/NNN_name.sql</c>
/// embedded in the worker runs once, in its own transaction, and is recorded in
/// <c>schema_migrations</c> with its checksum. An applied migration whose file changed since
/// stops start-up: fix it with a new migration, never by editing an applied one.
/// Workers starting together take turns on a PostgreSQL advisory lock.
/// </summary>
public sealed partial class MigrationRunner
{
    /// <summary>The advisory lock key held while migrating ("BGMIGRAT" in ASCII).</summary>
    public const long AdvisoryLockKey = 0x42474D4947524154;

    private const string ResourcePrefix = "BankGateway.Worker.Database.Migrations.";

    private readonly ILogger _logger;

    /// <summary>Runs the migrations embedded in the worker assembly.</summary>
    public MigrationRunner(ILogger logger)
        : this(EmbeddedScripts(), logger)
    {
    }

    /// <summary>Runs the given scripts instead (tests); names are file names such as <c>001_accounts.sql</c>.</summary>
    /// <exception cref="MigrationException">A name is not <c>NNN_name.sql</c>, or two share a version.</exception>
    public MigrationRunner(IReadOnlyList<(string Name, string Sql)> scripts, ILogger logger)
    {
        _logger = logger;
        Migrations = Parse(scripts);
    }

    /// <summary>The known migrations in the order they apply.</summary>
    public IReadOnlyList<Migration> Migrations { get; }

    /// <summary>
    /// Applies every migration the database lacks.
    /// </summary>
    /// <returns>How many were applied now (0 when the schema is current).</returns>
    /// <exception cref="MigrationException">A checksum differs, the database is newer than this build, or a script failed.</exception>
    public async Task<int> RunAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        // A session lock (not a transaction lock) so it spans all the per-migration transactions;
        // it is released when the connection closes, even if this process dies.
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            Verify(applied);

            var count = 0;
            foreach (var migration in Migrations.Where(m => !applied.ContainsKey(m.Version)))
            {
                await ApplyAsync(connection, migration, cancellationToken);
                count++;
            }

            _logger.LogInformation(
                "Database schema at version {Version} ({Applied} migration(s) applied now)",
                Migrations.Count == 0 ? 0 : Migrations[^1].Version, count);
            return count;
        }
        finally
        {
            // On a broken connection there is nothing to unlock: the server already dropped the lock.
            if (connection.FullState == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
            }
        }
    }

    /// <summary>Reads the scripts embedded under <c>Database/Migrations</c>.</summary>
    public static IReadOnlyList<(string Name, string Sql)> EmbeddedScripts()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal) && r.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(r => (r[ResourcePrefix.Length..], ReadResource(assembly, r)))
            .ToList();
    }

    /// <summary>SHA-256 (lowercase hex) of a script; CRLF and a BOM do not count, so a Windows checkout matches.</summary>
    public static string ComputeChecksum(string sql)
    {
        var normalised = sql.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
    }

    private static List<Migration> Parse(IReadOnlyList<(string Name, string Sql)> scripts)
    {
        var migrations = new List<Migration>();
        foreach (var (fileName, sql) in scripts)
        {
            var match = FileNamePattern().Match(fileName);
            if (!match.Success)
            {
                throw new MigrationException($"Migration file name '{fileName}' must look like NNN_name.sql (e.g. 001_accounts.sql).");
            }

            migrations.Add(new Migration(
                int.Parse(match.Groups["version"].Value, CultureInfo.InvariantCulture),
                match.Groups["name"].Value,
                sql,
                ComputeChecksum(sql)));
        }

        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MigrationException(
                $"Migrations {string.Join(" and ", duplicate.Select(m => $"{m.Version:000}_{m.Name}"))} share version {duplicate.Key}.");
        }

        return migrations.OrderBy(m => m.Version).ToList();
    }

    private void Verify(Dictionary<int, (string Name, string Checksum)> applied)
    {
        var known = Migrations.ToDictionary(m => m.Version);
        foreach (var (version, (name, checksum)) in applied.OrderBy(a => a.Key))
        {
            if (!known.TryGetValue(version, out var migration))
            {
                // An older build against a newer schema could write rows the new code no longer expects.
                throw new MigrationException(
                    $"The database has migration {version:000}_{name}, which this build does not know: the database is newer than this worker. Deploy the newer worker.");
            }

            if (!string.Equals(migration.Checksum, checksum, StringComparison.OrdinalIgnoreCase))
            {
                throw new MigrationException(
                    $"Migration {version:000}_{migration.Name} was applied with checksum {checksum}, but this build's file has checksum {migration.Checksum}. "
                    + "Applied migrations must not change: restore the original file and put the change in a new migration.");
            }
        }
    }

    private async Task ApplyAsync(NpgsqlConnection connection, Migration migration, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new MigrationException($"Migration {migration.Version:000}_{migration.Name} failed and was rolled back: {ex.MessageText} ({ex.SqlState})", ex);
        }

        await using (var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
            record.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        _logger.LogInformation("Applied migration {Version:000}_{Name} in {Elapsed} ms", migration.Version, migration.Name, started.ElapsedMilliseconds);
    }

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, (string, string)>();
        await using var command = new NpgsqlCommand("SELECT version, name, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        }

        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);

        // Migrations may rewrite big tables; the default 30 s would abort them half-way.
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new MigrationException($"Embedded migration {name} could not be read.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(?<version>\d{3,})_(?<name>[A-Za-z0-9_\-]+)\.sql$")]
    private static partial Regex FileNamePattern();
}
