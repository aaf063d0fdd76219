using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BankGateway.Files.Signing;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Posting;
using BankGateway.Worker.Results;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace BankGateway.Benchmarks;

/// <summary>
/// <c>pipeline [--lines N] [--chunk-size C] [--accounts-multiple M] [--sweep C1,C2,..] [--repeat R] [--profile] [--verbose]</c>.
/// <para>
/// Default mode, in ONE fresh database on the configured server (ConnectionStrings:Gateway /
/// BANKGATEWAY_DB, else the embedded default under BANKGATEWAY_HOME, a temporary one unless set):
/// setup (not timed: account master of M·N accounts via <see cref="AccountMaster.ImportAsync"/>,
/// catalogue, an N-line signed voucher set, keys), then three timed phases on the same tables:
/// <b>pipeline</b> (<see cref="LocalPipeline.RunOnceAsync"/> end to end), <b>raw limit</b> (the same
/// N credits as one binary COPY into a temp table + one UPDATE of the balances + one INSERT of the
/// journal rows, one transaction) and <b>naive</b> (one UPDATE + one INSERT per line, 1,000 lines
/// per transaction, over N/10 lines). Peak RSS (VmHWM, reset through /proc/self/clear_refs) per phase.
/// Last line: <c>pipeline: &lt;lines/s&gt; lines/s, &lt;x.xx&gt;x raw limit, &lt;y.y&gt;x naive, peak RSS &lt;n&gt; MB</c>.
/// </para>
/// <para>
/// <c>--sweep</c>: a fresh database per chunk size (and per repeat), pipeline phase only, lines/s per
/// chunk size. <c>--profile</c>: the stages called one by one (intake, posting, results) with the
/// <c>EXPLAIN (ANALYZE, BUFFERS)</c> of chunk 1 run in a rolled-back transaction between intake and posting.
/// </para>
/// </summary>
internal static partial class PipelineBenchmark
{
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);
    private const string VoucherNo = "ZF2024900001";

    private sealed record Options(int Lines, int? ChunkSize, int AccountsMultiple, int[]? Sweep, int Repeat, bool Profile, bool Verbose);

    public static int Run(string[] args)
    {
        Options options;
        try
        {
            options = new Options(
                checked((int)BenchArgs.Long(args, "--lines", 1_000_000)),
                args.Contains("--chunk-size") ? checked((int)BenchArgs.Long(args, "--chunk-size", 0)) : null,
                checked((int)BenchArgs.Long(args, "--accounts-multiple", 2)),
                BenchArgs.IntList(args, "--sweep"),
                checked((int)BenchArgs.Long(args, "--repeat", 1)),
                args.Contains("--profile"),
                args.Contains("--verbose"));
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            Console.Error.WriteLine($"pipeline: {e.Message}");
            return 2;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        return RunAsync(options, cts.Token).GetAwaiter().GetResult();
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
        string work = Directory.CreateTempSubdirectory("bg-bench-").FullName;
        ResolvedDatabase? server = null;
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}, {DateTimeOffset.Now:yyyy-MM-dd HH:mm zzz}");
            var baseConfig = GatewayRuntime.LoadConfiguration();
            server = await DatabaseLocator.ResolveAsync(baseConfig, logs.CreateLogger("BankGateway.Database"), ct);
            Console.WriteLine($"database server: {server.Source} ({Describe(server.ConnectionString)}); {await ServerVersionAsync(server.ConnectionString, ct)}");

            // Keys and files once; every database gets a fresh copy of the set in its own inbox.
            var sw = Stopwatch.StartNew();
            var finance = Sm2KeyGenerator.Generate();
            var bank = KeyFiles.WriteKeyPair(Path.Combine(work, "bank"));
            string template = Path.Combine(work, "template");
            var built = LargeVoucher.Write(template, Path.Combine(work, "data"), o.Lines, finance, VoucherNo, o.AccountsMultiple);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"setup: voucher set of {o.Lines:N0} lines ({new FileInfo(built.DetailPath).Length / 1048576.0:F1} MiB QC_), account master of {(long)o.Lines * o.AccountsMultiple:N0} accounts written in {sw.Elapsed.TotalSeconds:F1} s (not timed)"));
            var files = new BenchFiles(work, template, built, finance, bank.PrivateKeyPath);

            if (o.Sweep is { } sizes) return await SweepAsync(o, sizes, server, baseConfig, files, logs, ct);
            if (o.Profile) return await ProfileAsync(o, server, baseConfig, files, logs, ct);
            return await CompareAsync(o, server, baseConfig, files, logs, ct);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("pipeline: cancelled");
            return 130;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
            if (tempHome is not null)
            {
                if (server?.Source == DatabaseSource.Embedded)
                    await new EmbeddedPostgres(new GatewayHome(tempHome), logs.CreateLogger("BankGateway.Database")).StopAsync(CancellationToken.None);
                try { Directory.Delete(tempHome, recursive: true); } catch (IOException) { }
            }
        }
    }

    private sealed record BenchFiles(string Work, string Template, LargeVoucher.Built Built, Sm2PrivateKey Finance, string BankKeyPath);

    // ---------------------------------------------------------------------------------------------
    // Default mode: pipeline vs raw limit vs naive on one database.

    private static async Task<int> CompareAsync(Options o, ResolvedDatabase server, IConfiguration baseConfig, BenchFiles files, LogCapture logs, CancellationToken ct)
    {
        await using var run = await BenchDatabase.CreateAsync(server, baseConfig, o.ChunkSize, files, logs, ct);
        await run.SetupAsync(ct);

        var pipeline = await run.TimePipelineAsync(ct);
        if (pipeline is null) return 1;
        PrintPhase("pipeline", pipeline.Value.Seconds, o.Lines, pipeline.Value.PeakKb,
            $"intake (SM2 verify, SM3, parse, binary COPY) → validation + posting in {run.ChunkCount} chunk(s) of {run.ChunkSize:N0} → signed RS_/HD_");
        PrintLogProfile(pipeline.Value.Log, pipeline.Value.Start, pipeline.Value.Seconds);

        var raw = await run.TimeRawAsync(ct);
        if (raw is null) return 1;
        PrintPhase("raw limit", raw.Value.Seconds, o.Lines, raw.Value.PeakKb,
            "same credits: binary COPY into a temp table + 1 UPDATE accounts + 1 INSERT journal, one transaction");

        int naiveLines = Math.Max(1_000, o.Lines / 10);
        var naive = await run.TimeNaiveAsync(naiveLines, ct);
        if (naive is null) return 1;
        double naiveRate = naiveLines / naive.Value.Seconds;
        PrintPhase("naive", naive.Value.Seconds, naiveLines, naive.Value.PeakKb,
            string.Create(CultureInfo.InvariantCulture, $"1 UPDATE + 1 INSERT per line, 1,000 lines per transaction, measured over {naiveLines:N0} lines (N/10); scaled to N: ≈{o.Lines / naiveRate:F0} s"));

        Console.WriteLine($"load average after: {LoadAverage()}");
        double rate = o.Lines / pipeline.Value.Seconds;
        double rawRate = o.Lines / raw.Value.Seconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pipeline: {rate:F0} lines/s, {rate / rawRate:F2}x raw limit, {rate / naiveRate:F1}x naive, peak RSS {pipeline.Value.PeakKb / 1024} MB"));
        return 0;
    }

    // ---------------------------------------------------------------------------------------------
    // --sweep: lines/s per chunk size, a fresh database each time.

    private static async Task<int> SweepAsync(Options o, int[] sizes, ResolvedDatabase server, IConfiguration baseConfig, BenchFiles files, LogCapture logs, CancellationToken ct)
    {
        var results = sizes.ToDictionary(s => s, _ => new List<double>());
        for (int r = 1; r <= o.Repeat; r++)
        {
            // Alternate the order between repeats so drift (load, page cache, WAL recycling) does not favour one size.
            var order = r % 2 == 1 ? sizes : sizes.Reverse().ToArray();
            foreach (int size in order)
            {
                await using var run = await BenchDatabase.CreateAsync(server, baseConfig, size, files, logs, ct);
                await run.SetupAsync(ct, quiet: true);
                var p = await run.TimePipelineAsync(ct);
                if (p is null) return 1;
                double rate = o.Lines / p.Value.Seconds;
                results[size].Add(rate);
                var (intake, posting, output) = LogPhases(p.Value.Log, p.Value.Start);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  sweep run {r}: chunk {size,9:N0} ({run.ChunkCount,3} chunks): {p.Value.Seconds,7:F2} s, {rate,8:F0} lines/s, peak RSS {p.Value.PeakKb / 1024} MB; intake {intake:F2} s, posting {posting:F2} s, results {output:F2} s"));
            }
        }
        Console.WriteLine($"sweep, {o.Lines:N0} lines, {o.Repeat} run(s) per size, load average now {LoadAverage()}:");
        double bestOverall = results.Values.Max(v => v.Max());
        foreach (int size in sizes)
        {
            var v = results[size];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sweep: chunk {size,9:N0}: best {v.Max(),8:F0} lines/s, median {Median(v),8:F0}, spread {(v.Max() - v.Min()) / v.Max() * 100,4:F1}% ({string.Join(", ", v.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))}){(v.Max() == bestOverall ? "  <- best" : "")}"));
        }
        return 0;
    }

    // ---------------------------------------------------------------------------------------------
    // --profile: the stages one by one, and the plan of one chunk statement.

    private static async Task<int> ProfileAsync(Options o, ResolvedDatabase server, IConfiguration baseConfig, BenchFiles files, LogCapture logs, CancellationToken ct)
    {
        await using var run = await BenchDatabase.CreateAsync(server, baseConfig, o.ChunkSize, files, logs, ct);
        await run.SetupAsync(ct);
        var services = run.Services;
        var box = new LocalInbox(run.Inbox, logs.CreateLogger("bench"), TimeSpan.FromMinutes(30), TimeProvider.System);
        var set = box.FindCompleteSets().Single();

        await run.QuiesceAsync(ct);
        var (intakeS, intakeKb, outcome) = await Measure(() => services.GetRequiredService<VoucherIntake>().TakeAsync(set, files.Finance.PublicKey, BusinessDate, ct));
        if (outcome.Kind != IntakeKind.Accepted || outcome.VoucherId is not { } voucherId)
        {
            Console.Error.WriteLine($"profile: intake did not accept the voucher: {outcome.Kind} {outcome.Code} {outcome.Detail}");
            return 1;
        }
        PrintPhase("stage intake", intakeS, o.Lines, intakeKb, "VoucherIntake.TakeAsync: SM3 of QC_, SM2 verify, parse + precheck + binary COPY, one transaction");

        await run.ExplainChunkAsync(voucherId, ct);

        await run.QuiesceAsync(ct);
        var (postS, postKb, _) = await Measure(async () => { await services.GetRequiredService<PostingEngine>().PostAsync(voucherId, null, ct); return 0; });
        PrintPhase("stage posting", postS, o.Lines, postKb, $"PostingEngine.PostAsync: funding + {run.ChunkCount} chunk statement(s) of {run.ChunkSize:N0} + completion");
        PrintChunkTimes(logs.Since(TimeSpan.Zero));

        if (true) await run.ExplainResultsAsync(voucherId, ct);
        await run.QuiesceAsync(ct);
        var (resultS, resultKb, _) = await Measure(async () => await services.GetRequiredService<VoucherResults>().WriteAsync(voucherId, run.Outbox, ct));
        PrintPhase("stage results", resultS, o.Lines, resultKb, "VoucherResults.WriteAsync: RS_ query + CSV + SM3 + SM2 sign, HD_ + sign");

        // Components of intake measured alone (files hot in the page cache), to split the stage.
        string detail = Path.Combine(box.Processed, Path.GetFileName(files.Built.DetailPath));
        if (!File.Exists(detail)) detail = Path.Combine(run.Inbox, Path.GetFileName(files.Built.DetailPath));
        double sm3S = Time(() => Sm3.HashFileHex(detail));
        string voucherPath = File.Exists(set.VoucherPath) ? set.VoucherPath : Path.Combine(box.Processed, set.VoucherFileName);
        string sigPath = File.Exists(set.SigPath) ? set.SigPath : Path.Combine(box.Processed, Path.GetFileName(set.SigPath));
        double verifyS = Time(() => SignatureFile.Verify(voucherPath, files.Finance.PublicKey, sigPath).Message);
        double parseS = Time(() => ParseOnly(detail, files.Built).ToString(CultureInfo.InvariantCulture));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"intake split (measured alone): SM3 of QC_ {sm3S:F2} s, SM2 verify {verifyS * 1000:F1} ms, read + parse + F01–F06 precheck {parseS:F2} s, remainder (COPY to the server, voucher row, commit) ≈{intakeS - sm3S - verifyS - parseS:F2} s"));
        double total = intakeS + postS + resultS;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"profile: intake {intakeS:F2} s ({intakeS / total:P0}), posting {postS:F2} s ({postS / total:P0}), results {resultS:F2} s ({resultS / total:P0}); {o.Lines / total:F0} lines/s over the three stages"));
        return 0;
    }

    private static long ParseOnly(string detail, LargeVoucher.Built built)
    {
        var prechecker = new BankGateway.Worker.Validation.LinePrechecker(built.Voucher, LargeVoucher.Entry);
        using var stream = new FileStream(detail, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var reader = new BankGateway.Files.Formats.IssuanceListReader(stream, built.Voucher.DetailEncoding, built.Voucher.DetailFile);
        long sum = 0;
        while (reader.TryRead(out var line)) sum += prechecker.Check(line).ReportedFen ?? 0;
        return sum;
    }

    // ---------------------------------------------------------------------------------------------
    // One benchmark database: created fresh on the server, migrated by the product, dropped at the end.

    private sealed class BenchDatabase : IAsyncDisposable
    {
        private readonly ResolvedDatabase _server;
        private readonly BenchFiles _files;
        private readonly LogCapture _logs;

        private BenchDatabase(ResolvedDatabase server, string name, string connectionString, ServiceProvider services, BenchFiles files, LogCapture logs, string folder)
        {
            _server = server;
            Name = name;
            ConnectionString = connectionString;
            Services = services;
            _files = files;
            _logs = logs;
            Inbox = Path.Combine(folder, "inbox");
            Outbox = Path.Combine(folder, "outbox");
            Directory.CreateDirectory(Inbox);
            foreach (var f in Directory.GetFiles(files.Template)) File.Copy(f, Path.Combine(Inbox, Path.GetFileName(f)));
        }

        public string Name { get; }
        public string ConnectionString { get; }
        public ServiceProvider Services { get; }
        public string Inbox { get; }
        public string Outbox { get; }
        public int ChunkSize => Services.GetRequiredService<GatewaySettings>().ChunkSize;
        public int ChunkCount => (_files.Built.Voucher.DetailCount + ChunkSize - 1) / ChunkSize;
        private NpgsqlDataSource Db => Services.GetRequiredService<NpgsqlDataSource>();

        public static async Task<BenchDatabase> CreateAsync(ResolvedDatabase server, IConfiguration baseConfig, int? chunkSize, BenchFiles files, LogCapture logs, CancellationToken ct)
        {
            string name = $"bench_{DateTime.UtcNow:yyyyMMdd_HHmmss_fff}_{Environment.ProcessId}";
            await AdminAsync(server.ConnectionString, $"create database {name}", ct);
            string cs = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name }.ConnectionString;
            var overrides = new Dictionary<string, string?> { ["ConnectionStrings:Gateway"] = cs };
            if (chunkSize is { } c) overrides["Gateway:Posting:ChunkSize"] = c.ToString(CultureInfo.InvariantCulture);
            var config = new ConfigurationBuilder().AddConfiguration(baseConfig).AddInMemoryCollection(overrides).Build();
            try
            {
                var services = await GatewayRuntime.StartAsync(config, logs, files.BankKeyPath, null, ct);
                return new BenchDatabase(server, name, cs, services, files, logs, Path.Combine(files.Work, name));
            }
            catch
            {
                await DropAsync(server.ConnectionString, name);
                throw;
            }
        }

        /// <summary>Setup, not timed: account master and catalogue through the product, statistics fresh.</summary>
        public async Task SetupAsync(CancellationToken ct, bool quiet = false)
        {
            var sw = Stopwatch.StartNew();
            var imported = await Services.GetRequiredService<AccountMaster>().ImportAsync(_files.Built.AccountsPath, null, ct);
            var (entries, _) = await Services.GetRequiredService<CatalogueImport>().ImportAsync(_files.Built.CataloguePath, ct);
            // The account master is imported long before a voucher arrives in production, so autovacuum has
            // analysed it by then; here we do that ourselves rather than let autovacuum land inside a timed phase.
            await ExecAsync("vacuum (analyze) accounts", ct);
            if (!quiet)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"setup: database {Name}; {imported.Rows:N0} accounts imported via AccountMaster.ImportAsync, {entries} catalogue entry, accounts vacuumed + analysed, in {sw.Elapsed.TotalSeconds:F1} s (not timed); chunk size {ChunkSize:N0} → {ChunkCount} chunk(s)"));
        }

        /// <summary>Before each timed phase: a checkpoint, so no phase pays for the previous one's dirty pages.</summary>
        public async Task QuiesceAsync(CancellationToken ct)
        {
            try
            {
                await ExecAsync("checkpoint", ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                Console.WriteLine("  (checkpoint not permitted for this user; phases may pay for each other's dirty pages)");
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        public readonly record struct Timed(double Seconds, long PeakKb, List<LogCapture.Entry> Log, TimeSpan Start);

        public async Task<Timed?> TimePipelineAsync(CancellationToken ct)
        {
            var pipeline = Services.GetRequiredService<LocalPipeline>();
            await QuiesceAsync(ct);
            var from = _logs.Now;
            var (seconds, kb, report) = await Measure(() => pipeline.RunOnceAsync(Inbox, Outbox, _ => _files.Finance.PublicKey, BusinessDate, null, ct));
            var log = _logs.Since(from);
            // Autovacuum inside the timed window is work the raw limit's one transaction leaves for after its timer.
            var vacuums = await QueryListAsync<(string Table, long Vacuums, long Analyzes)>("""
                select relname, autovacuum_count, autoanalyze_count from pg_stat_user_tables
                where autovacuum_count + autoanalyze_count > 0 order by relname
                """, ct);
            Console.WriteLine("  autovacuum during the pipeline: " + (vacuums.Count == 0 ? "none" :
                string.Join(", ", vacuums.Select(x => $"{x.Table} {x.Vacuums} vacuum(s) {x.Analyzes} analyse(s)"))));

            var v = await QueryAsync<(string Status, int Paid, long PaidFen, int Failed)>(
                "select status, paid_count, paid_fen, failed_count from vouchers where voucher_no = @VoucherNo", new { VoucherNo }, ct);
            var expectedFiles = new[] { "RS_522726_ZF2024900001.csv", "RS_522726_ZF2024900001.csv.sig", "HD_522726_ZF2024900001.xml", "HD_522726_ZF2024900001.xml.sig" };
            var missing = expectedFiles.Where(f => !File.Exists(Path.Combine(Outbox, f))).ToList();
            if (report.Problems.Count > 0 || v.Status != "COMPLETED" || v.Paid != _files.Built.Voucher.DetailCount || v.PaidFen != _files.Built.TotalFen || v.Failed != 0 || missing.Count > 0)
            {
                Console.Error.WriteLine($"pipeline check failed: status {v.Status}, paid {v.Paid} ({v.PaidFen} fen of {_files.Built.TotalFen}), failed {v.Failed}, " +
                    $"problems [{string.Join("; ", report.Problems)}], missing [{string.Join(", ", missing)}]");
                return null;
            }
            return new Timed(seconds, kb, log, from);
        }

        /// <summary>The same N credits, set-based, in one transaction: the limit for this server and these tables.</summary>
        public async Task<Timed?> TimeRawAsync(CancellationToken ct)
        {
            int n = _files.Built.Voucher.DetailCount;
            // Not timed: the credits in memory, so the phase measures the database work only.
            var credits = RawLimit.Credits([(1L, n)]);
            await QuiesceAsync(ct);
            var (seconds, kb, counts) = await Measure(() => RawLimit.PostAsync(Db, credits, BusinessDate, ct));
            if (counts.Updated != n || counts.Inserted != n)
            {
                Console.Error.WriteLine($"raw check failed: {counts.Updated} balances updated, {counts.Inserted} journal rows, expected {n}");
                return null;
            }
            return new Timed(seconds, kb, [], TimeSpan.Zero);
        }

        /// <summary>Row by row: prepared UPDATE + INSERT per line, a transaction per 1,000 lines.</summary>
        public async Task<Timed?> TimeNaiveAsync(int lines, CancellationToken ct)
        {
            string elements = $"{LargeVoucher.DeptName}|{LargeVoucher.SubsidyName}|";
            string subsidyKey = $"naive|{LargeVoucher.SubsidyName}|{LargeVoucher.Period}";
            await QuiesceAsync(ct);
            var (seconds, kb, bad) = await Measure(async () =>
            {
                int wrong = 0;
                await using var connection = await Db.OpenConnectionAsync(ct);
                await using var update = new NpgsqlCommand("update accounts set balance_fen = balance_fen + $1, gateway_posted = true, updated_at = $2 where account_no = $3", connection);
                update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint });
                update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz });
                update.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
                await using var insert = new NpgsqlCommand("""
                    insert into journal (voucher_id, kind, side, ref_no, account_no, amount_fen, narrative, id_number, subsidy_key, business_date, posted_at)
                    values (-2, 'P', 'C', $1, $2, $3, $4, $5, $6, $7, $8)
                    """, connection);
                foreach (var t in new[] { NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Date, NpgsqlDbType.TimestampTz })
                    insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = t });
                await update.PrepareAsync(ct);
                await insert.PrepareAsync(ct);
                for (int first = 1; first <= lines; first += 1_000)
                {
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    var now = DateTimeOffset.UtcNow;
                    for (int i = first; i < first + 1_000 && i <= lines; i++)
                    {
                        long fen = LargeVoucher.AmountFen(i);
                        string account = LargeVoucher.Account(i);
                        update.Parameters[0].Value = fen;
                        update.Parameters[1].Value = now;
                        update.Parameters[2].Value = account;
                        if (await update.ExecuteNonQueryAsync(ct) != 1) wrong++;
                        insert.Parameters[0].Value = i;
                        insert.Parameters[1].Value = account;
                        insert.Parameters[2].Value = fen;
                        insert.Parameters[3].Value = elements + new BankGateway.Domain.Money(fen).ToString();
                        insert.Parameters[4].Value = LargeVoucher.IdNumber(i).ToUpperInvariant();
                        insert.Parameters[5].Value = subsidyKey;
                        insert.Parameters[6].Value = BusinessDate;
                        insert.Parameters[7].Value = now;
                        await insert.ExecuteNonQueryAsync(ct);
                    }
                    await tx.CommitAsync(ct);
                }
                return wrong;
            });
            if (bad != 0)
            {
                Console.Error.WriteLine($"naive check failed: {bad} updates did not find their account");
                return null;
            }
            return new Timed(seconds, kb, [], TimeSpan.Zero);
        }

        /// <summary>EXPLAIN (ANALYZE, BUFFERS) of chunk 1 exactly as PostingEngine would run it, then rolled back.</summary>
        public async Task ExplainChunkAsync(long voucherId, CancellationToken ct)
        {
            var v = await QueryAsync<(string AdmDivCode, string DeptName, string SubsidyName, string Period, string PayAcctNo, DateOnly BusinessDate, int DetailCount, int ChunkCount)>(
                "select adm_div_code, dept_name, subsidy_name, period, pay_acct_no, business_date, detail_count, chunk_count from vouchers where id = @voucherId", new { voucherId }, ct);
            int chunkSize = (v.DetailCount + v.ChunkCount - 1) / Math.Max(v.ChunkCount, 1);
            var stats = await QueryAsync<(long Accounts, long Lines, long Journal)>(
                "select (select count(*) from accounts), (select count(*) from voucher_lines), (select count(*) from journal)", null, ct);
            var statsNow = (await QueryListAsync<(string Table, DateTime? Analyze, DateTime? AutoAnalyze, long? Estimate)>("""
                select s.relname, s.last_analyze, s.last_autoanalyze, c.reltuples::bigint
                from pg_stat_user_tables s join pg_class c on c.oid = s.relid
                where s.relname in ('accounts', 'voucher_lines', 'journal') order by s.relname
                """, ct)).Select(a => $"{a.Table}: reltuples {a.Estimate:N0}, {AnalysedWord(a.Analyze, a.AutoAnalyze)}");
            Console.WriteLine($"explain: chunk 1 of {v.ChunkCount} (rows 1–{Math.Min(chunkSize, v.DetailCount):N0}) against {stats.Accounts:N0} accounts, {stats.Lines:N0} voucher lines, {stats.Journal:N0} journal rows; {string.Join("; ", statsNow)}");

            // The fast statement (no line paid before: the benchmark's case) as is and analysed; the checked one as is, for comparison.
            foreach (var (analysed, statement, kind) in new[] { (false, PostingSql.ChunkFast, "fast"), (false, PostingSql.ChunkChecked, "checked"), (true, PostingSql.ChunkFast, "fast") })
            {
            await using var connection = await Db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            // Second pass: with voucher_lines analysed (what the planner sees once autovacuum has been by, typically
            // within a minute of intake). Not journal: it is empty here, and ANALYZE writes pg_class.reltuples in
            // place (not rolled back), so "journal has 0 rows" would outlive the rollback and mislead later plans.
            if (analysed) await connection.ExecuteAsync(new CommandDefinition("analyze voucher_lines", transaction: tx, commandTimeout: 0, cancellationToken: ct));
            var plan = (await connection.QueryAsync<string>(new CommandDefinition("explain (analyze, buffers) " + statement, new
            {
                // The parameters PostingEngine.PostChunkAsync passes (a superset is fine: Dapper sends only those the text names).
                voucherId, adm = v.AdmDivCode, firstRow = 1, lastRow = Math.Min(chunkSize, v.DetailCount), chunkNo = 1, subsidyKey = $"{v.DeptName}|{v.SubsidyName}|{v.Period}",
                transit = PostingEngine.TransitAccount(v.PayAcctNo), elements = $"{v.DeptName}|{v.SubsidyName}|", debitNarrative = $"{v.DeptName}|{v.SubsidyName}|代发 第1批",
                businessDate = v.BusinessDate, now = DateTimeOffset.UtcNow,
            }, tx, commandTimeout: 0, cancellationToken: ct))).ToList();
            await tx.RollbackAsync(ct);
            Console.WriteLine(analysed ? $"explain: chunk 1 ({kind}) again, after ANALYZE voucher_lines (rolled back):" : $"explain: chunk 1 ({kind}) with the statistics as they are (rolled back):");
            foreach (var line in plan) Console.WriteLine("  | " + line);
            Console.WriteLine($"explain ({kind}, {(analysed ? "analysed" : "as is")}): " + SummarisePlan(plan));
            }
        }

        private static string AnalysedWord(DateTime? analyze, DateTime? autoAnalyze) =>
            analyze is null && autoAnalyze is null ? "never analysed" : analyze is null || autoAnalyze > analyze ? "auto-analysed" : "analysed by setup";

        /// <summary>EXPLAIN (ANALYZE, BUFFERS) of the three ordered queries whose rows VoucherResults merges into RS_, with its setting.</summary>
        public async Task ExplainResultsAsync(long voucherId, CancellationToken ct)
        {
            await using var connection = await Db.OpenConnectionAsync(ct);
            foreach (var (what, sql) in new[] { ("lines", VoucherResults.LinesInOrder), ("failures", VoucherResults.FailuresInOrder), ("credits", VoucherResults.CreditsInOrder) })
            {
                await using var command = await VoucherResults.InRowOrderAsync(connection, "explain (analyze, buffers) " + sql, voucherId, ct);
                await using var transaction = command.Transaction!;
                command.CommandTimeout = 0;
                var plan = new List<string>();
                await using (var reader = await command.ExecuteReaderAsync(ct))
                    while (await reader.ReadAsync(ct)) plan.Add(reader.GetString(0));
                Console.WriteLine($"explain: the RS_ {what} query (VoucherResults), right after posting:");
                foreach (var line in plan) Console.WriteLine("  | " + line);
            }
        }

        private async Task ExecAsync(string sql, CancellationToken ct)
        {
            await using var connection = await Db.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 }; // not Dapper: it takes one word for a procedure name
            await command.ExecuteNonQueryAsync(ct);
        }

        private async Task<T> QueryAsync<T>(string sql, object? param, CancellationToken ct)
        {
            await using var connection = await Db.OpenConnectionAsync(ct);
            return await connection.QuerySingleAsync<T>(new CommandDefinition(sql, param, cancellationToken: ct));
        }

        private async Task<List<T>> QueryListAsync<T>(string sql, CancellationToken ct)
        {
            await using var connection = await Db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<T>(new CommandDefinition(sql, cancellationToken: ct))).ToList();
        }

        public async ValueTask DisposeAsync()
        {
            Db.Dispose();
            await Services.DisposeAsync();
            await DropAsync(_server.ConnectionString, Name);
            try { Directory.Delete(Path.Combine(_files.Work, Name), recursive: true); } catch (IOException) { }
        }

        private static async Task DropAsync(string serverConnectionString, string name)
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync(serverConnectionString, $"drop database if exists {name} with (force)", CancellationToken.None);
        }

        private static async Task AdminAsync(string serverConnectionString, string sql, CancellationToken ct)
        {
            var admin = new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false };
            await using var connection = new NpgsqlConnection(admin.ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers.

    /// <summary>Runs <paramref name="phase"/> with the peak-RSS counter reset before it; returns seconds and VmHWM in kB.</summary>
    private static async Task<(double Seconds, long PeakKb, T Result)> Measure<T>(Func<Task<T>> phase)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        ParseBenchmark.ResetPeakRss();
        var sw = Stopwatch.StartNew();
        var result = await phase();
        sw.Stop();
        return (sw.Elapsed.TotalSeconds, ParseBenchmark.PeakRssKb(), result);
    }

    private static double Time(Func<string> f)
    {
        f();
        var sw = Stopwatch.StartNew();
        f();
        return sw.Elapsed.TotalSeconds;
    }

    private static void PrintPhase(string name, double seconds, long lines, long peakKb, string what) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name + ":",-15} {seconds,8:F2} s, {lines / seconds,8:F0} lines/s, peak RSS {peakKb / 1024,4} MB  ({what})"));

    [GeneratedRegex(@"^Posting: .* committed, .* in (\d+) ms$")]
    private static partial Regex ChunkMs();

    /// <summary>Intake, posting and results seconds of a RunOnceAsync, from the product's own log lines.</summary>
    private static (double Intake, double Posting, double Results) LogPhases(List<LogCapture.Entry> log, TimeSpan start)
    {
        TimeSpan? At(Func<string, bool> match) => log.FirstOrDefault(e => match(e.Message)) is { Message: not null } e ? e.At : null;
        var recorded = At(m => m.StartsWith("Intake: recorded voucher", StringComparison.Ordinal));
        var completed = At(m => m.StartsWith("Posting: voucher", StringComparison.Ordinal) && m.EndsWith("completed", StringComparison.Ordinal));
        var receipt = At(m => m.StartsWith("Results: wrote HD_", StringComparison.Ordinal));
        if (recorded is null || completed is null || receipt is null) return (0, 0, 0);
        return ((recorded.Value - start).TotalSeconds, (completed.Value - recorded.Value).TotalSeconds, (receipt.Value - completed.Value).TotalSeconds);
    }

    private static void PrintLogProfile(List<LogCapture.Entry> log, TimeSpan start, double total)
    {
        var (intake, posting, results) = LogPhases(log, start);
        if (intake == 0)
        {
            Console.WriteLine("  profile: (log lines not found)");
            return;
        }
        double other = total - intake - posting - results;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  profile (product log lines): intake {intake:F2} s ({intake / total:P0}), posting {posting:F2} s ({posting / total:P0}), results RS_+HD_ {results:F2} s ({results / total:P0}), rest {other:F2} s"));
        PrintChunkTimes(log);
    }

    private static void PrintChunkTimes(List<LogCapture.Entry> log)
    {
        var ms = log.Select(e => ChunkMs().Match(e.Message)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        if (ms.Count == 0) return;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  chunks: {ms.Count}, statement+commit min {ms.Min()} ms, mean {ms.Average():F0} ms, max {ms.Max()} ms, sum {ms.Sum() / 1000.0:F2} s; in order: {string.Join(" ", ms)}"));
    }

    internal static string SummarisePlan(IReadOnlyList<string> plan)
    {
        // F07: a per-line probe of journal_one_payment_per_person, or one scan of every payment of the subsidy hashed per chunk.
        int subsidyScan = plan.Count(l => l.Contains("Index Cond: (subsidy_key =", StringComparison.Ordinal));
        string f07 = subsidyScan > 0 ? "F07 check HASHED (scans every earlier payment of the subsidy once per chunk)" : "F07 check per line (index probe)";
        return SummariseAccounts(plan) + "; " + f07;
    }

    private static string SummariseAccounts(IReadOnlyList<string> plan)
    {
        bool seqAccounts = plan.Any(l => l.Contains("Seq Scan on accounts", StringComparison.Ordinal));
        bool hashJoin = plan.Any(l => l.Contains("Hash", StringComparison.Ordinal) && l.Contains("Join", StringComparison.Ordinal));
        var indexOnAccounts = plan.Where(l => l.Contains("Index Scan using accounts_pkey", StringComparison.Ordinal) || l.Contains("Index Only Scan using accounts_pkey", StringComparison.Ordinal)).ToList();
        string exec = plan.LastOrDefault(l => l.TrimStart().StartsWith("Execution Time", StringComparison.Ordinal))?.Trim() ?? "";
        if (seqAccounts)
            return $"HASH/SEQ: the statement scans all accounts (Seq Scan on accounts{(hashJoin ? ", hash join" : "")}); {exec}";
        if (indexOnAccounts.Count > 0)
            return $"INDEX: accounts reached by index lookups on accounts_pkey ({indexOnAccounts.Count} node(s), no seq scan of accounts); {exec}";
        return $"neither an accounts_pkey index scan nor a seq scan on accounts found; read the plan; {exec}";
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    internal static string LoadAverage()
    {
        try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
    }

    private static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"host {b.Host}, database {b.Database}, user {b.Username}";
    }

    private static async Task<string> ServerVersionAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        var settings = (await connection.QueryAsync<(string Name, string Setting)>(new CommandDefinition(
            "select name, setting || coalesce(unit, '') from pg_settings where name in ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'work_mem', 'max_wal_size') order by name",
            cancellationToken: ct))).Select(s => $"{s.Name}={s.Setting}");
        return $"PostgreSQL {connection.PostgreSqlVersion}, {string.Join(", ", settings)}";
    }
}
