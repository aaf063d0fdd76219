using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using BankGateway.Files.Signing;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.MasterData;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace BankGateway.Benchmarks;

/// <summary>
/// <c>peakday [--bureaus N] [--lines L] [--min-size a] [--max-size b] [--nodes 1|2] [--arrival-seconds A] [--chunk-size C] [--posting-connections P] [--timeout-minutes T] [--keep-logs] [--verbose]</c>:
/// a province's peak day. N bureaus (default 50), each a Local channel of the real worker run as the service
/// (one or two nodes on one fresh database); vouchers with sizes drawn log-uniformly from a to b lines (10 to
/// 200,000) until L lines in all (2,000,000), assigned to the bureaus in turn and dropped into their inboxes at
/// random moments within the first A seconds (10: the load must outrun the product, or lines/s measures the arrival
/// rate; see <see cref="DefaultArrivalSeconds"/>). Measures the wall time from the first drop to the last HD_
/// answer, the time to answer of every voucher under 1,000 lines, the dashboard overview (node 1, logged in) once
/// a second while the load runs, each node's peak RSS (VmHWM); the load starts from a checkpoint, as the raw limit does. Then, on the same tables, the raw set-based limit
/// of the same credits (<see cref="RawLimit"/>). Last line:
/// <c>peakday: &lt;lines/s&gt; lines/s, &lt;x.xx&gt;x raw limit, small-voucher p95 &lt;s&gt; s, overview p95 &lt;ms&gt; ms, peak RSS &lt;n&gt; MB</c>
/// (the RSS is the largest node's).
/// </summary>
internal static class PeakdayBenchmark
{
    /// <summary>Vouchers under this many lines are the "small" ones whose time to answer is reported.</summary>
    private const int SmallLines = 1_000;

    /// <summary>
    /// All sets drop within 10 s by default. With 60 s (the first five passes), a product that keeps up answers the last
    /// set a few seconds after it drops, so lines/s cannot pass lines ÷ 60 s (33,333 for 2M lines) whatever the product
    /// does: on a machine whose raw limit posts 2M credits in 46 s that caps the ratio at 0.72x.
    /// </summary>
    private const int DefaultArrivalSeconds = 10;
    private static readonly DateOnly RawBusinessDate = new(2024, 9, 30);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task CheckpointAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var checkpoint = db.CreateCommand("checkpoint"); // not Dapper: it takes one word for a procedure name
        checkpoint.CommandTimeout = 0;
        await checkpoint.ExecuteNonQueryAsync(ct);
    }

    private sealed record Options(int Bureaus, long Lines, int MinSize, int MaxSize, int Nodes, double ArrivalSeconds, int? ChunkSize, int PostingConnections, int TimeoutMinutes, bool Verbose, bool KeepLogs);

    private sealed record Planned(int Index, string Adm, string VoucherNo, int Lines, long FirstAccount, double DropAt);

    public static int Run(string[] args)
    {
        Options o;
        try
        {
            o = new Options(
                checked((int)BenchArgs.Long(args, "--bureaus", 50)),
                BenchArgs.Long(args, "--lines", 2_000_000),
                checked((int)BenchArgs.Long(args, "--min-size", 10)),
                checked((int)BenchArgs.Long(args, "--max-size", 200_000)),
                checked((int)BenchArgs.Long(args, "--nodes", 1)),
                BenchArgs.Long(args, "--arrival-seconds", DefaultArrivalSeconds),
                args.Contains("--chunk-size") ? checked((int)BenchArgs.Long(args, "--chunk-size", 0)) : null,
                checked((int)BenchArgs.Long(args, "--posting-connections", 0)),
                checked((int)BenchArgs.Long(args, "--timeout-minutes", 60)),
                args.Contains("--verbose"),
                args.Contains("--keep-logs"));
            if (o.Bureaus is < 1 or > 9_999 || o.Nodes is < 1 or > 2 || o.MinSize < 1 || o.MaxSize < o.MinSize || o.Lines < o.MinSize)
                throw new ArgumentException("need 1–9,999 bureaus, 1 or 2 nodes, 1 ≤ min-size ≤ max-size, lines ≥ min-size");
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            Console.Error.WriteLine($"peakday: {e.Message}");
            return 2;
        }
        return RunAsync(o, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var logs = new LogCapture(o.Verbose);
        string? tempHome = null;
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(GatewayHome.EnvironmentVariable)))
        {
            tempHome = Directory.CreateTempSubdirectory("bg-bench-home-").FullName;
            Environment.SetEnvironmentVariable(GatewayHome.EnvironmentVariable, tempHome);
            Console.WriteLine($"BANKGATEWAY_HOME was not set: using {tempHome} for this run (an embedded server started there is stopped and the folder removed at the end)");
        }
        string work = Directory.CreateTempSubdirectory("bg-peakday-").FullName;
        ResolvedDatabase? server = null;
        string? database = null;
        var nodes = new List<Node>();
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {PipelineBenchmark.LoadAverage()}, {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
            var baseConfig = GatewayRuntime.LoadConfiguration();
            server = await DatabaseLocator.ResolveAsync(baseConfig, logs.CreateLogger("BankGateway.Database"), ct);
            database = $"bench_peakday_{DateTime.UtcNow:yyyyMMdd_HHmmss}_{Environment.ProcessId}";
            await AdminAsync(server.ConnectionString, $"create database {database}", ct);
            string cs = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database }.ConnectionString;

            var plan = Plan(o);
            long totalLines = plan.Sum(p => (long)p.Lines);
            var small = plan.Where(p => p.Lines < SmallLines).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"plan: {plan.Count} vouchers, {totalLines:N0} lines, {o.Bureaus} bureaus, sizes {plan.Min(p => p.Lines):N0}–{plan.Max(p => p.Lines):N0} (median {plan.Select(p => p.Lines).Order().ElementAt(plan.Count / 2):N0}), {small.Count} under {SmallLines:N0} lines; dropped within {o.ArrivalSeconds:F0} s; {o.Nodes} node(s) with {PostingConnections(o)} posting connection(s) each"));

            var sw = Stopwatch.StartNew();
            var financeFiles = KeyFiles.WriteKeyPair(Path.Combine(work, "finance"));
            var finance = Sm2PrivateKey.Load(financeFiles.PrivateKeyPath);
            var bank = KeyFiles.WriteKeyPair(Path.Combine(work, "bank"));
            string data = Path.Combine(work, "data");
            LargeVoucher.Built? any = null;
            foreach (var p in plan)
                // Each bureau pays from its own department account (its own transit row), as counties do.
                any = LargeVoucher.Write(Staging(work, p), data, p.Lines, finance, p.VoucherNo, accountMultiple: 0, firstAccount: p.FirstAccount, admDivCode: p.Adm,
                    payAcctNo: "24010099" + p.Adm + "45");
            string accountsPath = Path.Combine(data, "accounts.csv");
            LargeVoucher.WriteAccountMaster(accountsPath, 1, totalLines * 2);
            Console.WriteLine($"setup: {plan.Count} signed sets and an account master of {totalLines * 2:N0} accounts written in {sw.Elapsed.TotalSeconds:F1} s (not timed)");

            sw.Restart();
            var config = new ConfigurationBuilder().AddConfiguration(baseConfig)
                .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Gateway"] = cs }).Build();
            await using (var services = await GatewayRuntime.StartAsync(config, logs, bank.PrivateKeyPath, null, ct))
            {
                await services.GetRequiredService<AccountMaster>().ImportAsync(accountsPath, null, ct);
                await services.GetRequiredService<CatalogueImport>().ImportAsync(any!.CataloguePath, ct);
                var db = services.GetRequiredService<NpgsqlDataSource>();
                await using (var connection = await db.OpenConnectionAsync(ct))
                    await connection.ExecuteAsync(new CommandDefinition("vacuum (analyze) accounts", commandTimeout: 0, cancellationToken: ct));
                await new UserStore(db, new GatewayClock(TimeProvider.System)).AddOrUpdateAsync("bench", Roles.Viewer, DashboardBenchmark.Password, "benchmark", ct);
                // As before the raw limit: the load starts from a checkpoint, so it neither pays for the setup's dirty
                // pages nor meets a checkpoint the setup's WAL triggers at a different moment in every run.
                await CheckpointAsync(db, ct);
            }
            Console.WriteLine($"setup: database {database} migrated, accounts imported and analysed, catalogue, dashboard user, in {sw.Elapsed.TotalSeconds:F1} s (not timed)");

            var environment = NodeEnvironment(o, plan, work, financeFiles.PublicKeyPath, bank.PrivateKeyPath);
            for (int n = 1; n <= o.Nodes; n++)
                nodes.Add(await Node.StartAsync(n, work, cs, environment, o.Verbose, ct));
            using var dashboard = await DashboardBenchmark.LoginAsync(nodes[0].BaseUrl, ct);
            Console.WriteLine($"nodes: {string.Join(", ", nodes.Select(n => $"node {n.Number} pid {n.Pid} at {n.BaseUrl}"))}; load average {PipelineBenchmark.LoadAverage()}");

            var cpuBefore = ProcessCpu.Snapshot();
            var (wall, answers, overview, timedOut, errors) = await DriveAsync(o, plan, work, nodes, dashboard, ct);
            Console.WriteLine($"cpu during the load: {ProcessCpu.Snapshot().Since(cpuBefore, [.. nodes.Select(n => ($"node {n.Number}", n.Pid))])} ({Environment.ProcessorCount} cores)");
            var rssKb = nodes.Select(n => n.PeakRssKb()).ToList();
            Console.WriteLine($"load average after the load: {PipelineBenchmark.LoadAverage()}");
            foreach (var n in nodes) n.Dispose();
            if (timedOut || errors || o.KeepLogs) KeepLogs(nodes);
            nodes.Clear();
            if (timedOut)
            {
                Console.Error.WriteLine($"peakday: {plan.Count - answers.Count} voucher(s) still unanswered after {o.TimeoutMinutes} min");
                return 1;
            }

            await using var check = DatabaseLocator.Build(cs);
            if (!await CheckAsync(check, plan, totalLines, ct)) return 1;

            // The raw limit of the same credits, on the same tables, after the load (see RawLimit).
            var credits = RawLimit.Credits(plan.Select(p => (p.FirstAccount, p.Lines)));
            await CheckpointAsync(check, ct);
            sw.Restart();
            var raw = await RawLimit.PostAsync(check, credits, RawBusinessDate, ct);
            double rawSeconds = sw.Elapsed.TotalSeconds;
            if (raw.Updated != totalLines || raw.Inserted != totalLines)
            {
                Console.Error.WriteLine($"raw check failed: {raw.Updated} balances updated, {raw.Inserted} journal rows, expected {totalLines}");
                return 1;
            }

            double rate = totalLines / wall;
            double rawRate = totalLines / rawSeconds;
            var smallTimes = small.Select(p => answers[p.Index]).ToList();
            double smallP95 = smallTimes.Count > 0 ? DashboardBenchmark.Percentile(smallTimes, 0.95) : 0;
            double overviewP95 = overview.Count > 0 ? DashboardBenchmark.Percentile(overview, 0.95) : 0;
            var all = answers.Values.ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"load: {wall:F1} s from the first drop to the last answer, {rate:F0} lines/s; time to answer p50 {DashboardBenchmark.Percentile(all, 0.5):F1} s, max {all.Max():F1} s"));
            double lastDrop = plan.Max(p => p.DropAt);
            if (wall < lastDrop * 1.25)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"warning: the last set dropped at {lastDrop:F1} s and the load ended at {wall:F1} s: the product kept up with the arrivals, so lines/s is the arrival rate, not the product's capacity (use a shorter --arrival-seconds)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"small vouchers (< {SmallLines:N0} lines): {smallTimes.Count}, time to answer p50 {(smallTimes.Count > 0 ? DashboardBenchmark.Percentile(smallTimes, 0.5) : 0):F1} s, p95 {smallP95:F1} s, max {(smallTimes.Count > 0 ? smallTimes.Max() : 0):F1} s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"dashboard overview during the load: {overview.Count} requests, p50 {(overview.Count > 0 ? DashboardBenchmark.Percentile(overview, 0.5) : 0):F0} ms, p95 {overviewP95:F0} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"raw limit: {rawSeconds:F1} s for the same {totalLines:N0} credits (1 COPY + 1 UPDATE + 1 INSERT, one transaction), {rawRate:F0} lines/s"));
            Console.WriteLine($"peak RSS: {string.Join(", ", rssKb.Select((kb, i) => $"node {i + 1} {kb / 1024} MB"))}");
            Console.WriteLine($"load average at the end: {PipelineBenchmark.LoadAverage()}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"peakday: {rate:F0} lines/s, {rate / rawRate:F2}x raw limit, small-voucher p95 {smallP95:F1} s, overview p95 {overviewP95:F0} ms, peak RSS {rssKb.Max() / 1024} MB"));
            return 0;
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
            NpgsqlConnection.ClearAllPools();
            if (server is not null && database is not null)
                await AdminAsync(server.ConnectionString, $"drop database if exists {database} with (force)", CancellationToken.None);
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            if (tempHome is not null)
            {
                if (server?.Source == DatabaseSource.Embedded)
                    await new EmbeddedPostgres(new GatewayHome(tempHome), logs.CreateLogger("BankGateway.Database")).StopAsync(CancellationToken.None);
                try { Directory.Delete(tempHome, recursive: true); } catch (IOException) { }
            }
        }
    }

    /// <summary>Sizes log-uniform in [min, max] until the total, bureaus in turn, drop moments uniform in the arrival window (fixed seed).</summary>
    private static List<Planned> Plan(Options o)
    {
        var rng = new Random(20240930);
        var plan = new List<Planned>();
        long total = 0, nextAccount = 1;
        double lo = Math.Log(o.MinSize), hi = Math.Log(o.MaxSize);
        while (total < o.Lines)
        {
            int size = (int)Math.Min(Math.Round(Math.Exp(lo + rng.NextDouble() * (hi - lo))), o.Lines - total);
            size = Math.Max(size, 1);
            int k = plan.Count;
            string adm = (520001 + k % o.Bureaus).ToString(CultureInfo.InvariantCulture);
            plan.Add(new Planned(k, adm, $"ZF2024{k + 1:D6}", size, nextAccount, rng.NextDouble() * o.ArrivalSeconds));
            total += size;
            nextAccount += size;
        }
        return plan;
    }

    private static string Staging(string work, Planned p) => Path.Combine(work, "staging", p.Index.ToString(CultureInfo.InvariantCulture));
    private static string Inbox(string work, string adm) => Path.Combine(work, "channels", adm, "in");
    private static string Outbox(string work, string adm) => Path.Combine(work, "channels", adm, "out");

    /// <summary>
    /// Posting connections per node: as given, else the rule of D64 for a cluster whose database shares this machine's
    /// cores: nodes × connections ≈ cores (2 for one node on two cores, the product's default; 1 each for two nodes).
    /// </summary>
    private static int PostingConnections(Options o) => o.PostingConnections > 0 ? o.PostingConnections : Math.Max(1, Environment.ProcessorCount / o.Nodes);

    private static Dictionary<string, string?> NodeEnvironment(Options o, List<Planned> plan, string work, string financePublic, string bankKey)
    {
        var env = new Dictionary<string, string?>
        {
            ["Gateway__BankKeyFile"] = bankKey,
            ["Gateway__Service__CheckinSeconds"] = "2",
            ["Logging__Console__FormatterName"] = "simple",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        if (o.ChunkSize is { } c) env["Gateway__Posting__ChunkSize"] = c.ToString(CultureInfo.InvariantCulture);
        env["Gateway__Posting__Connections"] = PostingConnections(o).ToString(CultureInfo.InvariantCulture);
        var bureaus = plan.Select(p => p.Adm).Distinct().Order(StringComparer.Ordinal).ToList();
        for (int i = 0; i < bureaus.Count; i++)
        {
            string adm = bureaus[i];
            Directory.CreateDirectory(Inbox(work, adm));
            Directory.CreateDirectory(Outbox(work, adm));
            string prefix = $"Gateway__Channels__{i}__";
            env[prefix + "AdmDivCode"] = adm;
            env[prefix + "Kind"] = "Local";
            env[prefix + "Inbox"] = Inbox(work, adm);
            env[prefix + "Outbox"] = Outbox(work, adm);
            env[prefix + "FinancePublicKeyFile"] = financePublic;
            env[prefix + "PollSeconds"] = "1";
        }
        return env;
    }

    /// <summary>
    /// Drops every set at its moment (detail, .sig, then the voucher, each an atomic rename), watches the outboxes
    /// for HD_ answers and times the dashboard overview once a second until every voucher is answered.
    /// </summary>
    private static async Task<(double Wall, Dictionary<int, double> Answers, List<double> Overview, bool TimedOut, bool Errors)> DriveAsync(
        Options o, List<Planned> plan, string work, List<Node> nodes, HttpClient dashboard, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var dropped = new System.Collections.Concurrent.ConcurrentDictionary<int, double>();
        var dropper = Task.Run(async () =>
        {
            foreach (var p in plan.OrderBy(p => p.DropAt))
            {
                var wait = TimeSpan.FromSeconds(p.DropAt) - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
                string from = Staging(work, p), to = Inbox(work, p.Adm);
                foreach (var file in Directory.GetFiles(from).OrderBy(f => f.EndsWith(".sig", StringComparison.Ordinal) ? 1 : Path.GetFileName(f).StartsWith("PV_", StringComparison.Ordinal) ? 2 : 0))
                    File.Move(file, Path.Combine(to, Path.GetFileName(file)));
                dropped[p.Index] = clock.Elapsed.TotalSeconds;
            }
        }, ct);

        using var done = new CancellationTokenSource();
        var overview = new List<double>();
        var overviewErrors = new List<string>();
        var watcher = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await dashboard.GetAsync("/", done.Token);
                    await response.Content.ReadAsStringAsync(done.Token);
                    if (response.IsSuccessStatusCode) overview.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    else overviewErrors.Add($"{clock.Elapsed.TotalSeconds:F0} s: HTTP {(int)response.StatusCode}");
                }
                catch (OperationCanceledException) when (done.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    overviewErrors.Add($"{clock.Elapsed.TotalSeconds:F0} s: {e.Message}");
                }
                try { await Task.Delay(1_000, done.Token); } catch (OperationCanceledException) { break; }
            }
        }, CancellationToken.None);

        var answers = new Dictionary<int, double>();
        var deadline = TimeSpan.FromMinutes(o.TimeoutMinutes);
        double lastAnswer = 0, nextReport = 10;
        while (answers.Count < plan.Count && clock.Elapsed < deadline)
        {
            await Task.Delay(200, ct);
            foreach (var (index, at) in dropped)
            {
                if (answers.ContainsKey(index)) continue;
                var p = plan[index];
                if (!File.Exists(Path.Combine(Outbox(work, p.Adm), $"HD_{p.Adm}_{p.VoucherNo}.xml"))) continue;
                lastAnswer = clock.Elapsed.TotalSeconds;
                answers[index] = lastAnswer - at;
            }
            if (nodes.FirstOrDefault(n => n.HasExited) is { } dead)
            {
                KeepLogs(nodes);
                throw new InvalidOperationException($"node {dead.Number} exited with {dead.ExitCode}");
            }
            if (clock.Elapsed.TotalSeconds >= nextReport)
            {
                nextReport += 10;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {clock.Elapsed.TotalSeconds,5:F0} s: {dropped.Count}/{plan.Count} dropped, {answers.Count} answered ({answers.Keys.Sum(i => (long)plan[i].Lines):N0} lines), load average {PipelineBenchmark.LoadAverage()}"));
            }
        }
        await done.CancelAsync();
        await watcher;
        await dropper;
        // A failed overview is not timed: it is listed, and the run's logs are kept (the last line stays comparable).
        if (overviewErrors.Count > 0)
            Console.WriteLine($"dashboard overview FAILED {overviewErrors.Count} time(s): {string.Join("; ", overviewErrors.Take(5))}");
        return (lastAnswer, answers, overview, answers.Count < plan.Count, overviewErrors.Count > 0);
    }

    private static void KeepLogs(List<Node> nodes)
    {
        string keep = Directory.CreateTempSubdirectory("bg-peakday-logs-").FullName;
        foreach (var n in nodes) File.Copy(n.LogPath, Path.Combine(keep, Path.GetFileName(n.LogPath)));
        Console.WriteLine($"the nodes' logs are kept in {keep}");
    }

    private static async Task<bool> CheckAsync(NpgsqlDataSource db, List<Planned> plan, long totalLines, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var (vouchers, completed, paid, failed) = await connection.QuerySingleAsync<(long, long, long, long)>(new CommandDefinition(
            "select count(*), count(*) filter (where status = 'COMPLETED'), coalesce(sum(paid_count), 0)::bigint, coalesce(sum(failed_count), 0)::bigint from vouchers",
            cancellationToken: ct));
        long credits = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from journal where kind = 'P' and side = 'C' and voucher_id > 0", cancellationToken: ct));
        if (vouchers != plan.Count || completed != plan.Count || paid != totalLines || failed != 0 || credits != totalLines)
        {
            Console.Error.WriteLine($"peakday check failed: {vouchers} vouchers ({completed} completed, {plan.Count} sent), paid {paid}, failed {failed}, {credits} credits, {totalLines} lines sent");
            return false;
        }
        Console.WriteLine($"check: {plan.Count} vouchers COMPLETED, {paid:N0} lines paid once each, 0 failed");
        return true;
    }

    private static async Task AdminAsync(string admin, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The real worker (BankGateway.Worker.dll beside the benchmark) run as the service, its output in a log file.</summary>
    private sealed class Node : IDisposable
    {
        private readonly Process _process;
        private readonly StreamWriter _log;

        private Node(int number, Process process, StreamWriter log, string logPath, string baseUrl)
        {
            Number = number;
            _process = process;
            _log = log;
            LogPath = logPath;
            BaseUrl = baseUrl;
        }

        public int Number { get; }
        public string LogPath { get; }
        public string BaseUrl { get; }
        public int Pid => _process.Id;
        public bool HasExited => _process.HasExited;
        public int ExitCode => _process.ExitCode;

        public static async Task<Node> StartAsync(int number, string work, string connectionString, Dictionary<string, string?> environment, bool echo, CancellationToken ct)
        {
            string baseUrl = $"http://127.0.0.1:{FreePort()}";
            string home = Path.Combine(work, $"home{number}");
            Directory.CreateDirectory(home);
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BankGateway.Worker.dll"));
            foreach (var (k, v) in environment) info.Environment[k] = v;
            info.Environment["BANKGATEWAY_HOME"] = home;
            info.Environment["BANKGATEWAY_DB"] = connectionString;
            info.Environment["Gateway__Dashboard__Urls"] = baseUrl;
            string logPath = Path.Combine(work, $"node{number}.log");
            var log = new StreamWriter(logPath) { AutoFlush = true };
            var process = Process.Start(info)!;
            process.StandardInput.Close();
            void Line(string? text)
            {
                if (text is null) return;
                lock (log) log.WriteLine(text);
                if (echo) Console.WriteLine($"  [node {number}] {text}");
            }
            process.OutputDataReceived += (_, e) => Line(e.Data);
            process.ErrorDataReceived += (_, e) => Line(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var node = new Node(number, process, log, logPath, baseUrl);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (DateTime.UtcNow < until)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"node {number} exited with {process.ExitCode} while starting:\n{File.ReadAllText(logPath)}");
                try
                {
                    using var live = await Http.GetAsync(new Uri(baseUrl + "/health/live"), ct);
                    if (live.StatusCode == HttpStatusCode.OK) return node;
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
                await Task.Delay(200, ct);
            }
            node.Dispose();
            throw new TimeoutException($"node {number} did not answer /health/live within 90 s");
        }

        /// <summary>VmHWM of the worker process over its whole life, in KB.</summary>
        public long PeakRssKb() => ParseBenchmark.PeakRssKb(Pid);

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            _process.Dispose();
            lock (_log) _log.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
