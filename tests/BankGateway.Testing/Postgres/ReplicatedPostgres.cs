using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace BankGateway.Testing.Postgres;

/// <summary>
/// A primary and a synchronous streaming standby (<c>standby1</c>), two plain PostgreSQL servers on free
/// loopback ports, for failover tests: <see cref="KillPrimaryAsync"/> makes the primary's host vanish,
/// <see cref="PromoteStandbyAsync"/> does what Patroni or repmgr would do next. Each server lives in a
/// <c>bankgateway-pg-*</c> folder like <see cref="TestCluster"/>'s, so a run killed midway is cleaned up by
/// the next one. Dispose it.
/// </summary>
public sealed class ReplicatedPostgres : IAsyncDisposable
{
    /// <summary>The standby's <c>application_name</c>, the one <c>synchronous_standby_names</c> waits for.</summary>
    public const string StandbyName = "standby1";

    private readonly ClusterProcesses _processes;
    private readonly Node _primary;
    private readonly Node _standby;

    private ReplicatedPostgres(ClusterProcesses processes, Node primary, Node standby)
    {
        _processes = processes;
        _primary = primary;
        _standby = standby;
    }

    public int PrimaryPort => _primary.Port;

    public int StandbyPort => _standby.Port;

    /// <summary>Npgsql multi-host: both servers, only a primary accepted (a standby before promotion is refused).</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1:{PrimaryPort},127.0.0.1:{StandbyPort};Target Session Attributes=primary;Username=postgres;Database={database}";

    /// <summary>Initialises the primary, clones the standby from it with pg_basebackup, starts both and waits for synchronous streaming.</summary>
    public static async Task<ReplicatedPostgres> StartAsync(CancellationToken cancellationToken = default)
    {
        await TestCluster.RemoveLeakedClustersAsync(cancellationToken);
        var processes = await ClusterProcesses.CreateAsync("postgres", cancellationToken);
        var primary = await Node.CreateAsync(processes, cancellationToken);
        var standby = await Node.CreateAsync(processes, cancellationToken);
        var pair = new ReplicatedPostgres(processes, primary, standby);
        try
        {
            await pair.InitialisePrimaryAsync(cancellationToken);
            await pair.CloneStandbyAsync(cancellationToken);
            await pair.WaitForSynchronousStandbyAsync(cancellationToken);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates (or recreates) a database on the primary; replicated to the standby like everything else.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using (var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", connection))
            await drop.ExecuteNonQueryAsync(cancellationToken);
        await using (var create = new NpgsqlCommand($"create database \"{name}\"", connection))
            await create.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>
    /// SIGKILLs the primary's postmaster and every process it started, all at once, as when its host loses
    /// power: no shutdown, no goodbye to clients, its port closed. It is never started again.
    /// </summary>
    public async Task KillPrimaryAsync(CancellationToken cancellationToken = default)
    {
        if (_primary.ReadPostmasterPid() is not { } postmaster) throw new InvalidOperationException("the primary is not running");
        var victims = ChildrenOf(postmaster).Prepend(postmaster).ToList();
        var processes = new List<Process>();
        foreach (var pid in victims)
        {
            try { processes.Add(Process.GetProcessById(pid)); }
            catch (ArgumentException) { /* already gone */ }
        }
        foreach (var p in processes)
        {
            try { p.Kill(); }
            catch (InvalidOperationException) { /* already gone */ }
        }
        foreach (var p in processes)
        {
            await p.WaitForExitAsync(cancellationToken);
            p.Dispose();
        }
    }

    /// <summary><c>pg_ctl promote</c> on the standby, waiting until it accepts writes.</summary>
    public async Task PromoteStandbyAsync(CancellationToken cancellationToken = default)
    {
        var (exitCode, output) = await _processes.RunToolAsync("pg_ctl", ["promote", "-w", "-t", "60", "-D", _standby.DataDirectory], cancellationToken);
        if (exitCode != 0) throw new InvalidOperationException($"pg_ctl promote failed: {output}\n{_standby.TailOfLog()}");
    }

    /// <summary>The last lines of both servers' logs, for a failing test's message.</summary>
    public string Logs => $"---- primary log:\n{_primary.TailOfLog()}\n---- standby log:\n{_standby.TailOfLog()}";

    public async ValueTask DisposeAsync()
    {
        foreach (var node in new[] { _primary, _standby })
        {
            if (node.ReadPostmasterPid() is not null)
                await _processes.RunToolAsync("pg_ctl", ["stop", "-D", node.DataDirectory, "-m", "immediate", "-w"], CancellationToken.None);
            TestCluster.TryDelete(node.Folder);
        }
    }

    private async Task InitialisePrimaryAsync(CancellationToken cancellationToken)
    {
        // fsync off: these tests kill processes, never the machine, so the OS page cache survives; what they
        // prove is that a commit is acknowledged only once the standby has it.
        await RunAsync("initdb", ["-D", _primary.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions", "--no-sync"], cancellationToken);
        await File.AppendAllTextAsync(Path.Combine(_primary.DataDirectory, "postgresql.conf"), $"""

            # --- BankGateway failover test: primary with one synchronous standby ---
            listen_addresses = '127.0.0.1'
            max_connections = 300
            shared_buffers = 128MB
            fsync = off
            full_page_writes = on
            wal_level = replica
            max_wal_senders = 5
            wal_keep_size = 256MB
            hot_standby = on
            synchronous_commit = on
            synchronous_standby_names = '{StandbyName}'
            """, cancellationToken);
        await File.AppendAllTextAsync(Path.Combine(_primary.DataDirectory, "pg_hba.conf"),
            "\nhost replication postgres 127.0.0.1/32 trust\n", cancellationToken);
        await _primary.StartAsync(_processes, cancellationToken);
    }

    private async Task CloneStandbyAsync(CancellationToken cancellationToken)
    {
        // -R writes standby.signal and primary_conninfo; the application name makes it the synchronous standby.
        await RunAsync("pg_basebackup", ["-D", _standby.DataDirectory, "-R", "-X", "stream", "-c", "fast", "--no-sync",
            "-d", $"host=127.0.0.1 port={PrimaryPort} user=postgres application_name={StandbyName}"], cancellationToken);
        // Once promoted it is alone: waiting for a synchronous standby of its own would hang every commit. This is
        // what Patroni's synchronous_mode (not strict) does when no standby is left (specs/operations.md).
        await File.AppendAllTextAsync(Path.Combine(_standby.DataDirectory, "postgresql.auto.conf"),
            $"primary_conninfo = 'host=127.0.0.1 port={PrimaryPort} user=postgres application_name={StandbyName}'\nsynchronous_standby_names = ''\n",
            cancellationToken);
        await _standby.StartAsync(_processes, cancellationToken);
    }

    private async Task WaitForSynchronousStandbyAsync(CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={PrimaryPort};Username=postgres;Database=postgres;Pooling=false");
        await connection.OpenAsync(cancellationToken);
        while (true)
        {
            await using var command = new NpgsqlCommand("select sync_state from pg_stat_replication where application_name = @name", connection);
            command.Parameters.AddWithValue("name", StandbyName);
            if (await command.ExecuteScalarAsync(cancellationToken) is "sync") return;
            if (DateTime.UtcNow > until) throw new TimeoutException($"the standby did not become synchronous within 60 s\n{Logs}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task RunAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await _processes.RunToolAsync(tool, arguments, cancellationToken);
        if (exitCode != 0) throw new InvalidOperationException($"{tool} failed: {output}");
    }

    private static IEnumerable<int> ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == parent)
            .ToList();

    private static int ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>One server's folder (data, socket, log, owner.pid) and port.</summary>
    private sealed class Node(string folder)
    {
        public string Folder { get; } = folder;

        public int Port { get; private set; }

        public string DataDirectory => Path.Combine(Folder, "data");

        private string LogFile => Path.Combine(Folder, "server.log");

        public static async Task<Node> CreateAsync(ClusterProcesses processes, CancellationToken cancellationToken)
        {
            var folder = Path.Combine(Path.GetTempPath(), TestCluster.FolderPrefix + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(Path.Combine(folder, "sock"));
            await File.WriteAllTextAsync(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
            await processes.TakeOwnershipAsync(folder, cancellationToken);
            return new Node(folder);
        }

        public async Task StartAsync(ClusterProcesses processes, CancellationToken cancellationToken) =>
            Port = await TestCluster.StartOnFreePortAsync(
                port => processes.RunToolAsync("pg_ctl",
                    ["start", "-w", "-t", "120", "-D", DataDirectory, "-l", LogFile, "-o", $"-p {port} -k {Path.Combine(Folder, "sock")}"], cancellationToken),
                TailOfLog);

        public int? ReadPostmasterPid()
        {
            var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
            return File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && TestCluster.IsAlive(pid) ? pid : null;
        }

        public string TailOfLog() => File.Exists(LogFile) ? string.Join("\n", File.ReadLines(LogFile).TakeLast(30)) : "(no server log)";
    }
}
