using System.Diagnostics;
using System.Text;
using Npgsql;

namespace BankGateway.Worker.Database;

/// <summary>
/// The embedded default PostgreSQL: a private cluster in <c>&lt;BANKGATEWAY_HOME&gt;/pgdata</c>
/// reached only through a unix socket in <c>&lt;BANKGATEWAY_HOME&gt;/run</c> (no TCP port).
/// <see cref="StartAsync"/> initialises it on first use, starts it, reuses it when it is
/// already running (it keeps running between commands) and lets PostgreSQL's crash recovery
/// run after it was killed. Concurrent commands serialise on <c>run/embedded.lock</c>.
/// </summary>
/// <remarks>
/// As root, the server programs run as the <c>postgres</c> account (PostgreSQL refuses root),
/// which then owns <c>pgdata/</c>, <c>run/</c> and <c>logs/postgresql.log</c>; folders on the
/// way to the home get the traverse bit for others so that account can reach them.
/// </remarks>
public sealed partial class EmbeddedPostgres
{
    /// <summary>The cluster's superuser, created by initdb.</summary>
    public const string SuperUser = "gateway";

    /// <summary>The database the gateway uses.</summary>
    public const string DatabaseName = "bankgateway";

    // With listen_addresses = '' the port only names the socket file (.s.PGSQL.5432); the
    // socket folder is private, so it cannot clash with a system server.
    private const int SocketPort = 5432;

    // sun_path holds 108 bytes including the terminating NUL.
    private const int MaxSocketPathBytes = 107;

    private readonly GatewayHome _home;
    private readonly ILogger _logger;
    private readonly EmbeddedPostgresOptions _options;

    /// <summary>Creates the embedded server for <paramref name="home"/>; nothing starts until <see cref="StartAsync"/>.</summary>
    public EmbeddedPostgres(GatewayHome home, ILogger logger, EmbeddedPostgresOptions? options = null)
    {
        _home = home;
        _logger = logger;
        _options = options ?? new EmbeddedPostgresOptions();
    }

    /// <summary>Connection string of the gateway database over the private socket.</summary>
    public string ConnectionString => BuildConnectionString(DatabaseName);

    /// <summary>The server's log file (<c>&lt;home&gt;/logs/postgresql.log</c>).</summary>
    public string LogFile => Path.Combine(_home.Logs, "postgresql.log");

    private string PidFile => Path.Combine(_home.PgData, "postmaster.pid");

    private string SocketLockFile => Path.Combine(_home.Run, $".s.PGSQL.{SocketPort}.lock");

    private bool IsInitialised => File.Exists(Path.Combine(_home.PgData, "PG_VERSION"));

    /// <summary>
    /// Makes sure the server runs and the gateway database exists, and returns its connection string.
    /// </summary>
    /// <exception cref="EmbeddedPostgresException">Binaries missing, no account to run as, or the server would not start.</exception>
    public async Task<string> StartAsync(CancellationToken cancellationToken)
    {
        var binaries = LocateBinaries();
        CheckSocketPathLength();
        var account = await PostgresAccount.ResolveAsync(_options.ServiceAccount, cancellationToken);

        _home.EnsureCreated();
        await using (await FileLock.AcquireAsync(Path.Combine(_home.Run, "embedded.lock"), _options.LockTimeout, cancellationToken))
        {
            await PrepareFoldersAsync(account, cancellationToken);
            if (!IsInitialised)
            {
                await InitialiseAsync(binaries, account, cancellationToken);
            }

            await StartOrReuseAsync(binaries, account, cancellationToken);
        }

        return ConnectionString;
    }

    /// <summary>Stops the server (fast shutdown: sessions are cut, no recovery needed on the next start).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!IsInitialised || ReadLivePostmasterPid() is null)
        {
            return;
        }

        var binaries = LocateBinaries();
        var account = await PostgresAccount.ResolveAsync(_options.ServiceAccount, cancellationToken);
        var result = await account.RunAsync(binaries.PgCtl, ["stop", "-D", _home.PgData, "-m", "fast", "-w"], cancellationToken);
        if (!result.Succeeded && ReadLivePostmasterPid() is not null)
        {
            throw new EmbeddedPostgresException($"Could not stop the embedded PostgreSQL in {_home.PgData}: {result.Output}");
        }

        _logger.LogInformation("Embedded PostgreSQL stopped ({PgData})", _home.PgData);
    }

    /// <summary>
    /// The postmaster's pid when it is running, read from <c>postmaster.pid</c> and checked
    /// against the live process (a pid file left by a killed server names a dead, not yet
    /// reaped (zombie) or reused pid): the process must be a live <c>postgres</c> working in
    /// this data folder.
    /// </summary>
    public int? ReadLivePostmasterPid()
    {
        var pid = ReadPidFile();
        return pid is { } p && PostgresProcesses.IsPostgresProcess(p) && PostgresProcesses.WorksIn(p, _home.PgData) ? p : null;
    }

    private PostgresBinaries LocateBinaries()
    {
        int? major = null;
        var versionFile = Path.Combine(_home.PgData, "PG_VERSION");
        if (File.Exists(versionFile) && int.TryParse(File.ReadAllText(versionFile).Trim(), out var v))
        {
            major = v;
        }

        return PostgresBinaries.Locate(
            _options.SearchPath ?? Environment.GetEnvironmentVariable("PATH"),
            _options.SearchRoots,
            major);
    }

    private void CheckSocketPathLength()
    {
        var socket = Path.Combine(_home.Run, $".s.PGSQL.{SocketPort}");
        if (Encoding.UTF8.GetByteCount(socket) > MaxSocketPathBytes)
        {
            throw new EmbeddedPostgresException(
                $"BANKGATEWAY_HOME is too long for the embedded PostgreSQL's unix socket ({socket} exceeds {MaxSocketPathBytes} bytes). "
                + "Set BANKGATEWAY_HOME to a shorter path, or set ConnectionStrings:Gateway / BANKGATEWAY_DB");
        }

        // The folder is passed to the server through pg_ctl's shell command line.
        if (_home.Run.IndexOfAny(['"', '\\', '$', '`']) >= 0)
        {
            throw new EmbeddedPostgresException($"BANKGATEWAY_HOME must not contain \", \\, $ or ` for the embedded PostgreSQL: {_home.Root}");
        }
    }

    /// <summary>
    /// Reuses the running server or starts it, until it accepts connections and the gateway
    /// database exists, within <see cref="EmbeddedPostgresOptions.StartTimeout"/>. Every round
    /// re-checks that the postmaster named by <c>postmaster.pid</c> is alive: one killed while
    /// it started or recovered (possibly a zombie nobody reaps, which still reads as
    /// <c>postgres</c>) is not waited for but started again, which runs crash recovery.
    /// </summary>
    private async Task StartOrReuseAsync(PostgresBinaries binaries, PostgresAccount account, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var timeout = _options.StartTimeout;
        var reported = false;
        string? last = null;
        while (true)
        {
            var remaining = timeout - started.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            if (ReadLivePostmasterPid() is { } pid)
            {
                if (!reported)
                {
                    _logger.LogInformation("Embedded PostgreSQL running (pid {Pid}, data {PgData})", pid, _home.PgData);
                    reported = true;
                }

                try
                {
                    await EnsureDatabaseAsync(cancellationToken);
                    return;
                }
                catch (NpgsqlException ex)
                {
                    // Still starting or in crash recovery ("the database system is starting up"),
                    // or it died a moment ago: the next round looks at the pid again.
                    last = ex.Message;
                    _logger.LogInformation("Waiting for the embedded PostgreSQL to accept connections: {Message}", ex.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                    continue;
                }
            }

            reported = false;
            if (!RemoveStalePidFile())
            {
                // Processes of a killed server still work in the data folder; they exit within moments.
                last = "processes of the previous server are still running in the data folder";
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                continue;
            }

            var result = await account.RunAsync(
                binaries.PgCtl,
                [
                    "start", "-w",
                    "-t", Math.Max(1, (int)Math.Ceiling(remaining.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "-D", _home.PgData,
                    "-l", LogFile,
                    "-o", $"-k \"{_home.Run}\" -p {SocketPort}",
                ],
                cancellationToken);
            if (result.Succeeded)
            {
                _logger.LogInformation(
                    "Embedded PostgreSQL started (pid {Pid}, data {PgData}) after {Elapsed} ms",
                    ReadPidFile(), _home.PgData, started.ElapsedMilliseconds);
                continue; // the next round checks it and creates the database
            }

            // After a SIGKILL of the postmaster its children notice and exit within moments; until
            // then PostgreSQL refuses to start ("pre-existing shared memory block is still in use").
            last = result.Output;
            _logger.LogWarning("Embedded PostgreSQL did not start: {Output}", result.Output);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        throw new EmbeddedPostgresException(
            $"The embedded PostgreSQL in {_home.PgData} did not become ready within {(int)timeout.TotalSeconds} s (Gateway:Database:EmbeddedStartTimeoutSeconds). "
            + $"Last problem: {last?.Trim()}{Environment.NewLine}Last lines of {LogFile}:{Environment.NewLine}{TailOfLog()}");
    }

    /// <summary>
    /// Removes a <c>postmaster.pid</c> whose postmaster is gone but still listed: a zombie (state
    /// Z/X, not reaped by its parent) or a pid now used by another program. PostgreSQL itself
    /// refuses to start over such a file, since the pid still answers. A pid that does not exist
    /// at all is left to PostgreSQL, which then also checks the old shared memory. Nothing is
    /// removed while a live postgres process still works in this data folder (an orphaned
    /// backend of the killed server, which must finish first). Returns false in that case.
    /// </summary>
    private bool RemoveStalePidFile()
    {
        // The socket's lock file names the postmaster too, and is refused the same way.
        int? pid = ReadPidFile(), socketPid = PostgresProcesses.ReadPid(SocketLockFile);
        bool listed = (pid is { } p && PostgresProcesses.ReadProcessState(p) is not null) || (socketPid is { } q && PostgresProcesses.ReadProcessState(q) is not null);
        if (!listed)
        {
            return true; // nothing listed, or the listed pid is gone: PostgreSQL handles that itself
        }

        if (PostgresProcesses.AnyLivePostgresIn(_home.PgData))
        {
            return false;
        }

        RemoveIfStale(PidFile, pid);
        RemoveIfStale(SocketLockFile, socketPid);
        return true;
    }

    private void RemoveIfStale(string file, int? pid)
    {
        var state = pid is { } p ? PostgresProcesses.ReadProcessState(p) : null;
        if (state is null)
        {
            return;
        }

        _logger.LogWarning(
            "Removing {File}: its pid {Pid} is no live PostgreSQL server of this data folder (process state {State})",
            file, pid, state);
        try
        {
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Could not remove {File}: {Message}", file, ex.Message);
        }
    }

    private async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(BuildConnectionString("postgres", pooling: false));
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
            exists.Parameters.Add(new NpgsqlParameter { Value = DatabaseName });
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
                _logger.LogInformation("Created database {Database} in the embedded PostgreSQL", DatabaseName);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
        }
    }

    private string BuildConnectionString(string database, bool pooling = true) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = _home.Run,
            Port = SocketPort,
            Username = SuperUser,
            Database = database,
            Pooling = pooling,
        }.ConnectionString;

    private int? ReadPidFile() => PostgresProcesses.ReadPid(PidFile);

    private string TailOfLog()
    {
        try
        {
            return string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(20));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"(unreadable: {ex.Message})";
        }
    }
}
