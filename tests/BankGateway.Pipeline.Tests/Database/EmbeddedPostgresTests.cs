using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using BankGateway.Worker.Database;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Database;

[TestFixture]
[NonParallelizable]
public sealed class EmbeddedPostgresTests
{
    private TempHome _home = null!;

    [SetUp]
    public void CreateHome() => _home = new TempHome();

    [TearDown]
    public async Task RemoveHome() => await _home.DisposeAsync();

    [Test]
    public async Task First_start_initialises_the_cluster_and_serves_the_gateway_database_on_a_private_socket()
    {
        var connectionString = await _home.Server().StartAsync(CancellationToken.None);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var database = await ScalarAsync(connection, "SELECT current_database()");
        var listen = await ScalarAsync(connection, "SHOW listen_addresses");
        var synchronousCommit = await ScalarAsync(connection, "SHOW synchronous_commit");
        var fsync = await ScalarAsync(connection, "SHOW fsync");
        var sharedBuffers = await ScalarAsync(connection, "SHOW shared_buffers");
        Assert.Multiple(() =>
        {
            Assert.That(database, Is.EqualTo(EmbeddedPostgres.DatabaseName));
            Assert.That(listen, Is.Empty, "no TCP port");
            Assert.That(synchronousCommit, Is.EqualTo("on"));
            Assert.That(fsync, Is.EqualTo("on"));
            Assert.That(sharedBuffers, Is.EqualTo("256MB"));
            Assert.That(File.Exists(Path.Combine(_home.Home.PgData, "PG_VERSION")));
            Assert.That(new NpgsqlConnectionStringBuilder(connectionString).Host, Is.EqualTo(_home.Home.Run));
        });
    }

    [Test]
    public async Task Second_start_reuses_the_running_server()
    {
        await _home.Server().StartAsync(CancellationToken.None);
        var firstPid = _home.Server().ReadLivePostmasterPid();

        await _home.Server().StartAsync(CancellationToken.None);

        Assert.That(firstPid, Is.Not.Null);
        Assert.That(_home.Server().ReadLivePostmasterPid(), Is.EqualTo(firstPid));
    }

    [Test]
    public async Task Start_after_the_postmaster_was_killed_recovers_committed_data()
    {
        var connectionString = await _home.Server().StartAsync(CancellationToken.None);
        await ExecuteAsync(connectionString, "CREATE TABLE ledger (id int PRIMARY KEY, amount bigint); INSERT INTO ledger VALUES (1, 12345)");
        NpgsqlConnection.ClearAllPools();
        var killedPid = _home.Server().ReadLivePostmasterPid()!.Value;

        using (var postmaster = Process.GetProcessById(killedPid))
        {
            postmaster.Kill();
            await postmaster.WaitForExitAsync();
        }

        Assert.That(File.Exists(Path.Combine(_home.Home.PgData, "postmaster.pid")), "the killed server leaves a stale pid file");

        connectionString = await _home.Server().StartAsync(CancellationToken.None);

        Assert.That(_home.Server().ReadLivePostmasterPid(), Is.Not.Null.And.Not.EqualTo(killedPid));
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        Assert.That(await ScalarAsync(connection, "SELECT amount FROM ledger WHERE id = 1"), Is.EqualTo(12345L));
    }

    /// <summary>
    /// Kills the postmaster at several points of a start (right as it appears, during crash
    /// recovery, just after it accepts connections) and finally leaves a killed postmaster as
    /// an unreaped zombie still named in postmaster.pid (as under a container init that does not
    /// reap): each next start must notice the dead postmaster, recover and serve the data within
    /// its bound, instead of waiting on the listed pid.
    /// </summary>
    [Test]
    [CancelAfter(300_000)]
    public async Task Start_recovers_when_the_postmaster_is_killed_while_starting_recovering_or_left_a_zombie()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Needs /proc and prctl.");
        }

        var options = TempHome.FastOptions with { StartTimeout = TimeSpan.FromSeconds(60) };
        var connectionString = await _home.Server(options).StartAsync(CancellationToken.None);
        await ExecuteAsync(connectionString, "CREATE TABLE ledger (id int PRIMARY KEY, amount bigint); INSERT INTO ledger VALUES (1, 12345)");
        NpgsqlConnection.ClearAllPools();

        // Orphaned postmasters become this process's children, which it does not reap: a killed one
        // stays a zombie, still listed in postmaster.pid and still reading as "postgres".
        Assert.That(Prctl(PrSetChildSubreaper, 1, 0, 0, 0), Is.Zero, "prctl(PR_SET_CHILD_SUBREAPER)");
        var killed = new List<int>();
        try
        {
            foreach (var delay in new[] { 0, 15, 60, 200, 600 })
            {
                // Crash the running server, so that the next start runs crash recovery.
                KillPostmaster(_home.Server(options).ReadLivePostmasterPid(), killed);

                var start = Task.Run(() => _home.Server(options).StartAsync(CancellationToken.None));
                var starting = await WaitForNewPostmasterAsync(killed, start);
                await Task.Delay(delay);
                KillPostmaster(starting, killed);
                try
                {
                    await start;
                }
                catch (EmbeddedPostgresException)
                {
                    // Killed before the command could see it ready: allowed, the next one recovers.
                }
            }

            // Killed after it was ready: the zombie stays listed.
            await _home.Server(options).StartAsync(CancellationToken.None);
            NpgsqlConnection.ClearAllPools();
            KillPostmaster(_home.Server(options).ReadLivePostmasterPid(), killed);
            var zombie = killed[^1];
            await WaitUntilAsync(() => PostgresProcesses.ReadProcessState(zombie) == 'Z');
            Assert.That(File.ReadLines(Path.Combine(_home.Home.PgData, "postmaster.pid")).First(), Is.EqualTo(zombie.ToString()), "the zombie is still listed");
            Assert.That(File.ReadAllText($"/proc/{zombie}/comm").Trim(), Is.EqualTo("postgres"));

            var watch = Stopwatch.StartNew();
            connectionString = await _home.Server(options).StartAsync(CancellationToken.None);

            var pid = _home.Server(options).ReadLivePostmasterPid();
            Assert.That(pid, Is.Not.Null);
            Assert.That(killed, Does.Not.Contain(pid!.Value));
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            Assert.That(await ScalarAsync(connection, "SELECT amount FROM ledger WHERE id = 1"), Is.EqualTo(12345L));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Prctl(PrSetChildSubreaper, 0, 0, 0, 0);
            var last = _home.Server(options).ReadLivePostmasterPid();
            await _home.Server(options).StopAsync(CancellationToken.None);
            foreach (var pid in killed.Append(last ?? 0).Where(p => p > 0))
            {
                WaitPid(pid, out _, WNoHang);
            }
        }
    }

    [Test]
    public async Task A_server_that_never_gets_ready_gives_up_after_the_bound_with_a_clear_message()
    {
        await _home.Server().StartAsync(CancellationToken.None);
        var pid = _home.Server().ReadLivePostmasterPid()!.Value;

        // A stopped (SIGSTOP) postmaster is alive but never answers.
        Assert.That(Kill(pid, SigStop), Is.Zero);
        try
        {
            var watch = Stopwatch.StartNew();
            var error = Assert.ThrowsAsync<EmbeddedPostgresException>(
                () => _home.Server(TempHome.FastOptions with { StartTimeout = TimeSpan.FromSeconds(6) }).StartAsync(CancellationToken.None));

            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
            Assert.That(error!.Message, Does.Contain("did not become ready within 6 s"));
        }
        finally
        {
            Kill(pid, SigCont);
        }
    }

    private const int PrSetChildSubreaper = 36;
    private const int SigKill = 9;
    private const int SigStop = 19;
    private const int SigCont = 18;
    private const int WNoHang = 1;

    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static extern int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static extern int WaitPid(int pid, out int status, int options);

    private static void KillPostmaster(int? pid, List<int> killed)
    {
        if (pid is { } p and > 0)
        {
            Kill(p, SigKill);
            killed.Add(p);
        }
    }

    private async Task<int?> WaitForNewPostmasterAsync(List<int> killed, Task start)
    {
        var pidFile = Path.Combine(_home.Home.PgData, "postmaster.pid");
        while (!start.IsCompleted)
        {
            try
            {
                if (int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) && !killed.Contains(pid))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
            }

            await Task.Delay(2);
        }

        return null;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not reached in time");
            await Task.Delay(20);
        }
    }

    [Test]
    public async Task Two_commands_starting_at_once_share_one_cluster()
    {
        var starts = await Task.WhenAll(
            Task.Run(() => _home.Server().StartAsync(CancellationToken.None)),
            Task.Run(() => _home.Server().StartAsync(CancellationToken.None)));

        Assert.That(starts[1], Is.EqualTo(starts[0]));
        await using var connection = new NpgsqlConnection(starts[0]);
        await connection.OpenAsync();
        Assert.That(Directory.Exists(_home.Home.PgData + ".initializing"), Is.False);
    }

    [Test]
    public void Missing_binaries_fail_with_the_install_hint()
    {
        var server = _home.Server(TempHome.FastOptions with { SearchPath = string.Empty, SearchRoots = [] });

        var error = Assert.ThrowsAsync<EmbeddedPostgresException>(() => server.StartAsync(CancellationToken.None));

        Assert.That(
            error!.Message,
            Is.EqualTo("PostgreSQL server binaries not found (initdb, pg_ctl). Install them: sudo apt-get install postgresql  — or set ConnectionStrings:Gateway / BANKGATEWAY_DB"));
    }

    [Test]
    [UnsupportedOSPlatform("windows")]
    public async Task As_root_the_server_runs_as_the_postgres_account_even_with_a_home_in_a_private_folder()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Ignore("Only meaningful when the tests run as root.");
        }

        // Like /root: a folder only its owner may enter, with the home inside it.
        var privateParent = Path.Combine(Path.GetTempPath(), "bgp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(privateParent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var home = new TempHome(privateParent);
        try
        {
            await home.Server().StartAsync(CancellationToken.None);

            var uid = File.ReadLines($"/proc/{home.Server().ReadLivePostmasterPid()}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            Assert.Multiple(() =>
            {
                Assert.That(uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], Is.Not.EqualTo("0"));
                Assert.That(File.GetUnixFileMode(privateParent) & UnixFileMode.OtherExecute, Is.EqualTo(UnixFileMode.OtherExecute));
                Assert.That(File.GetUnixFileMode(privateParent) & UnixFileMode.OtherRead, Is.EqualTo(UnixFileMode.None), "traverse only, no listing");
                Assert.That(File.GetUnixFileMode(home.Home.Keys) & (UnixFileMode.OtherExecute | UnixFileMode.GroupExecute), Is.EqualTo(UnixFileMode.None), "keys stay private");
            });
        }
        finally
        {
            await home.DisposeAsync();
            Directory.Delete(privateParent, recursive: true);
        }
    }

    [Test]
    public async Task Stop_then_start_brings_the_same_data_back()
    {
        var connectionString = await _home.Server().StartAsync(CancellationToken.None);
        await ExecuteAsync(connectionString, "CREATE TABLE kept (id int)");
        NpgsqlConnection.ClearAllPools();

        await _home.Server().StopAsync(CancellationToken.None);
        Assert.That(_home.Server().ReadLivePostmasterPid(), Is.Null);

        connectionString = await _home.Server().StartAsync(CancellationToken.None);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        Assert.That(await ScalarAsync(connection, "SELECT count(*) FROM kept"), Is.EqualTo(0L));
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
