using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace BankGateway.Testing.Postgres;

/// <summary>
/// A throwaway PostgreSQL cluster in a temp folder, listening on a free loopback port with
/// trust authentication. Its folder records the creating process, so a cluster leaked by a
/// killed test run is stopped and removed by the next run.
/// </summary>
internal sealed class TestCluster
{
    internal const string FolderPrefix = "bankgateway-pg-";

    private readonly ClusterProcesses _processes;

    private TestCluster(ClusterProcesses processes, string folder, int port)
    {
        _processes = processes;
        Folder = folder;
        Port = port;
    }

    public string Folder { get; }

    public int Port { get; private set; }

    public string DataDirectory => Path.Combine(Folder, "data");

    private string SocketDirectory => Path.Combine(Folder, "sock");

    private string LogFile => Path.Combine(Folder, "server.log");

    public string AdminConnectionString =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=30";

    public static async Task<TestCluster> StartAsync(TestClusterOptions options, CancellationToken cancellationToken)
    {
        await RemoveLeakedClustersAsync(cancellationToken);
        var processes = await ClusterProcesses.CreateAsync(options.ServiceAccount, cancellationToken);

        var folder = Path.Combine(Path.GetTempPath(), FolderPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(Path.Combine(folder, "sock"));
        await File.WriteAllTextAsync(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
        await processes.TakeOwnershipAsync(folder, cancellationToken);

        var cluster = new TestCluster(processes, folder, 0);
        await cluster.InitialiseAsync(options, cancellationToken);
        await cluster.StartOnFreePortAsync(cancellationToken);
        return cluster;
    }

    public int? ReadPostmasterPid()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        return File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) ? pid : null;
    }

    /// <summary>SIGKILLs the postmaster, as a crash or the OOM killer would, and waits until it is gone.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        if (ReadPostmasterPid() is not { } pid)
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    /// <summary>Starts the server again on the same port (after <see cref="KillAsync"/>); crash recovery runs.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        // Children of a killed postmaster take a moment to notice and exit; until then the
        // server refuses to start on the old shared memory.
        for (var attempt = 1; ; attempt++)
        {
            var (exitCode, output) = await StartServerAsync(Port, cancellationToken);
            if (exitCode == 0)
            {
                return;
            }

            if (attempt == 10)
            {
                throw new InvalidOperationException($"Test cluster did not restart: {output}\n{TailOfLog()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _processes.RunToolAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "immediate", "-w"], cancellationToken);
        TryDelete(Folder);
    }

    /// <summary>Synchronous stop for <see cref="AppDomain.ProcessExit"/>, where nothing can be awaited.</summary>
    public void StopAtExit()
    {
        try
        {
            var program = Path.Combine(_processes.BinDirectory, "pg_ctl");
            var startInfo = _processes.RunAs is null ? new ProcessStartInfo(program) : new ProcessStartInfo("runuser");
            if (_processes.RunAs is not null)
            {
                foreach (var a in new[] { "-u", _processes.RunAs, "--", program })
                {
                    startInfo.ArgumentList.Add(a);
                }
            }

            foreach (var a in new[] { "stop", "-D", DataDirectory, "-m", "immediate", "-w" })
            {
                startInfo.ArgumentList.Add(a);
            }

            startInfo.WorkingDirectory = "/";
            startInfo.RedirectStandardOutput = true;
            startInfo.RedirectStandardError = true;
            using var process = Process.Start(startInfo);
            process?.WaitForExit(10_000);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Best effort: the next test run removes leaked clusters.
        }

        TryDelete(Folder);
    }

    private async Task InitialiseAsync(TestClusterOptions options, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await _processes.RunToolAsync(
            "initdb",
            ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions", .. options.Fsync ? Array.Empty<string>() : ["--no-sync"]],
            cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"initdb for the test cluster failed: {output}");
        }

        var durability = options.Fsync
            ? "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
            : "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
        await File.AppendAllTextAsync(
            Path.Combine(DataDirectory, "postgresql.conf"),
            $"""

             # --- BankGateway test cluster ---
             listen_addresses = '127.0.0.1'
             unix_socket_directories = '{SocketDirectory}'
             max_connections = 300
             shared_buffers = 128MB
             {durability}
             """,
            cancellationToken);
    }

    private async Task StartOnFreePortAsync(CancellationToken cancellationToken) =>
        Port = await StartOnFreePortAsync(port => StartServerAsync(port, cancellationToken), TailOfLog);

    /// <summary>Starts a server on a free loopback port, trying a few: another process may take the port between probing and binding.</summary>
    internal static async Task<int> StartOnFreePortAsync(Func<int, Task<(int ExitCode, string Output)>> start, Func<string> tailOfLog)
    {
        var failures = new List<string>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = FreeLoopbackPort();
            var (exitCode, output) = await start(port);
            if (exitCode == 0)
            {
                return port;
            }

            failures.Add(output);
        }

        throw new InvalidOperationException($"Test cluster did not start: {string.Join("\n", failures)}\n{tailOfLog()}");
    }

    private Task<(int ExitCode, string Output)> StartServerAsync(int port, CancellationToken cancellationToken) =>
        _processes.RunToolAsync(
            "pg_ctl",
            ["start", "-w", "-t", "120", "-D", DataDirectory, "-l", LogFile, "-o", $"-p {port}"],
            cancellationToken);

    internal static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private string TailOfLog() =>
        File.Exists(LogFile) ? string.Join("\n", File.ReadLines(LogFile).TakeLast(20)) : "(no server log)";

    internal static async Task RemoveLeakedClustersAsync(CancellationToken cancellationToken)
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var ownerFile = Path.Combine(folder, "owner.pid");
            if (!File.Exists(ownerFile)
                || !int.TryParse(await File.ReadAllTextAsync(ownerFile, cancellationToken), out var owner)
                || IsAlive(owner))
            {
                continue;
            }

            var pidFile = Path.Combine(folder, "data", "postmaster.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var postmaster) && IsAlive(postmaster))
            {
                try
                {
                    using var process = Process.GetProcessById(postmaster);
                    process.Kill();
                    await process.WaitForExitAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    continue;
                }
            }

            TryDelete(folder);
        }
    }

    internal static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    internal static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the next run's clean-up.
        }
    }
}
