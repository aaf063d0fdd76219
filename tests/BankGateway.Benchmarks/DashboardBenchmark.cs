using BankGateway.Worker.Delivery;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using BankGateway.Files.Signing;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Results;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace BankGateway.Benchmarks;

/// <summary>
/// <c>dashboard [--vouchers N] [--lines L] [--requests R]</c>: seeds N vouchers (default 1,000) with L lines in all
/// (default 5,000,000) straight in SQL (INSERT … SELECT generate_series), with failures, chunks, returns and
/// deliveries, into the database <c>bg_bench_dashboard</c> on the configured server (reused when it already holds
/// exactly that data), then times the overview: the summary queries alone and the whole page over HTTP
/// (logged in, in-process Kestrel), R requests each after 5 warm-ups.
/// Last line: <c>dashboard: overview p95 &lt;ms&gt; ms over N vouchers, L lines</c>.
/// </summary>
internal static partial class DashboardBenchmark
{
    private const string DatabaseName = "bg_bench_dashboard";
    internal const string Password = "bench-password-not-secret";

    public static int Run(string[] args)
    {
        int vouchers, requests;
        long lines;
        try
        {
            vouchers = checked((int)BenchArgs.Long(args, "--vouchers", 1_000));
            lines = BenchArgs.Long(args, "--lines", 5_000_000);
            requests = checked((int)BenchArgs.Long(args, "--requests", 50));
        }
        catch (Exception e) when (e is ArgumentException or OverflowException)
        {
            Console.Error.WriteLine($"dashboard: {e.Message}");
            return 2;
        }
        return RunAsync(vouchers, lines, requests, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int vouchers, long lines, int requests, CancellationToken ct)
    {
        string? tempHome = null;
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(GatewayHome.EnvironmentVariable)))
        {
            tempHome = Directory.CreateTempSubdirectory("bg-bench-home-").FullName;
            Environment.SetEnvironmentVariable(GatewayHome.EnvironmentVariable, tempHome);
            Console.WriteLine($"BANKGATEWAY_HOME was not set: using {tempHome} for this run");
        }
        ResolvedDatabase? server = null;
        try
        {
            var config = GatewayRuntime.LoadConfiguration();
            server = await DatabaseLocator.ResolveAsync(config, NullLogger.Instance, ct);
            string cs = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = DatabaseName }.ConnectionString;
            DapperSetup.Apply();
            if (!await HoldsAsync(server.ConnectionString, cs, vouchers, lines, ct))
            {
                await AdminAsync(server.ConnectionString, $"drop database if exists {DatabaseName} with (force)", ct);
                await AdminAsync(server.ConnectionString, $"create database {DatabaseName}", ct);
                await using var fresh = DatabaseLocator.Build(cs);
                await new MigrationRunner(NullLogger.Instance).RunAsync(fresh, ct);
                var sw = Stopwatch.StartNew();
                await SeedAsync(fresh, vouchers, lines, ct);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seed: {vouchers:N0} vouchers, {lines:N0} lines in {sw.Elapsed.TotalSeconds:F1} s (INSERT … SELECT generate_series; not timed)"));
            }
            else
            {
                Console.WriteLine($"seed: reusing database {DatabaseName} ({vouchers:N0} vouchers, {lines:N0} lines)");
            }

            await using var app = await StartAsync(cs);
            var queries = app.Services.GetRequiredService<DashboardQueries>();
            var queryTimes = await TimeAsync(requests, async () =>
            {
                await queries.OverviewAsync(ct);
                await queries.SummaryAsync([], ct);
            });
            Console.WriteLine(Describe("overview queries", queryTimes));

            using var http = await LoginAsync(app.Urls.First(), ct);
            var pageTimes = await TimeAsync(requests, async () =>
            {
                using var response = await http.GetAsync("/", ct);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsStringAsync(ct);
            });
            Console.WriteLine(Describe("overview page", pageTimes));
            var summaryTimes = await TimeAsync(requests, async () =>
            {
                using var response = await http.GetAsync(DashboardSetup.SummaryPath, ct);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsStringAsync(ct);
            });
            Console.WriteLine(Describe("summary.json (polled)", summaryTimes));
            await app.StopAsync(ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"dashboard: overview p95 {Percentile(pageTimes, 0.95):F1} ms over {vouchers} vouchers, {lines} lines"));
            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (tempHome is not null)
            {
                if (server?.Source == DatabaseSource.Embedded)
                    await new EmbeddedPostgres(new GatewayHome(tempHome), NullLogger.Instance).StopAsync(CancellationToken.None);
                try { Directory.Delete(tempHome, recursive: true); } catch (IOException) { }
            }
        }
    }

    private static async Task<bool> HoldsAsync(string admin, string cs, int vouchers, long lines, CancellationToken ct)
    {
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync(ct);
            await using var exists = new NpgsqlCommand("select count(*) from pg_database where datname = $1", connection) { Parameters = { new() { Value = DatabaseName } } };
            if ((long)(await exists.ExecuteScalarAsync(ct))! == 0) return false;
        }
        try
        {
            await using var connection = new NpgsqlConnection(cs);
            await connection.OpenAsync(ct);
            await using var count = new NpgsqlCommand("select (select count(*) from vouchers), (select count(*) from voucher_lines), (select count(*) from users)", connection);
            await using var reader = await count.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return reader.GetInt64(0) == vouchers && reader.GetInt64(1) == lines && reader.GetInt64(2) == 1;
        }
        catch (PostgresException)
        {
            return false;
        }
    }

    private static async Task AdminAsync(string admin, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// A month of business: five bureaus, twenty business days, most vouchers completed (2% of lines failed, with
    /// returns scheduled or executed), the last day's vouchers still received, held or posting. Counters match the lines.
    /// </summary>
    private static async Task SeedAsync(NpgsqlDataSource db, int vouchers, long lines, CancellationToken ct)
    {
        long perVoucher = Math.Max(1, lines / vouchers);
        await using var connection = await db.OpenConnectionAsync(ct);
        async Task Exec(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            command.Parameters.AddWithValue("n", vouchers);
            command.Parameters.AddWithValue("per", perVoucher);
            command.Parameters.AddWithValue("total", lines);
            await command.ExecuteNonQueryAsync(ct);
        }
        await Exec("set synchronous_commit = off");
        // The seed creates vouchers and returns in their final states: the status trigger records that as an override.
        await Exec("select set_config('bankgateway.override', 'benchmark seed', false)");
        await Exec("""
            insert into channels (adm_div_code, kind, last_poll_at) select '52272' || b, 'Sftp', now() - interval '40 seconds' from generate_series(0, 4) b;
            insert into vouchers (id, adm_div_code, voucher_no, content_sm3, status, business_date, received_at, completed_at, vt_code, st_year, vou_date,
                dept_code, dept_name, subsidy_code, subsidy_name, period, pay_acct_no, pay_acct_name, fund_channel, return_acct_no, return_acct_name,
                pay_amt_fen, detail_count, detail_file, detail_file_sm3, detail_encoding, chunk_count, chunks_done, paid_count, paid_fen, failed_count, failed_fen)
            select i, '52272' || (i % 5), 'ZF2024' || lpad(i::text, 6, '0'), md5(i::text) || md5(i::text), s.status,
                   d.day, d.day + time '09:00' - interval '8 hours', case when s.status = 'COMPLETED' then d.day + time '10:00' - interval '8 hours' end,
                   '5201', 2024, d.day, '105001', '独山县民政局', 'MZ001', '城乡居民最低生活保障金', '2024-09',
                   '2401009900012345', '独山县民政局零余额账户', 'TREASURY', '2401009900000001', '独山县财政局国库单一账户',
                   c.lines * 35000, c.lines, 'QC_52272' || (i % 5) || '_ZF2024' || lpad(i::text, 6, '0') || '.csv', md5(i::text) || md5(i::text), 'UTF-8',
                   1, case when s.status = 'COMPLETED' then 1 else 0 end,
                   case when s.status = 'COMPLETED' then c.lines - c.lines / 50 else 0 end, case when s.status = 'COMPLETED' then (c.lines - c.lines / 50) * 35000 else 0 end,
                   case when s.status = 'COMPLETED' then c.lines / 50 else 0 end, case when s.status = 'COMPLETED' then c.lines / 50 * 35000 else 0 end
            from generate_series(1, @n) i
            cross join lateral (select (date '2024-09-02' + (i * 20 / (@n + 1)))::date as day) d
            cross join lateral (select case when i > @n - 3 then 'RECEIVED' when i = @n - 3 then 'HELD' when i = @n - 4 then 'POSTING' else 'COMPLETED' end as status) s
            cross join lateral (select (@per + case when i = @n then @total - @per * @n else 0 end)::int as lines) c;
            select setval('vouchers_id_seq', @n);
            """);
        await Exec("""
            insert into voucher_lines (voucher_id, row_no, file_line, seq_no, name, id_number, account_no, dept_name, subsidy_name, amount_text,
                amount_fen, period, phone, orig_voucher_no, orig_seq_no, remark)
            select v.id, r, r + 1, r::text, '王伟', '522726' || lpad(((v.id * 7919 + r) % 100000000)::text, 8, '0') || lpad((r % 1000)::text, 3, '0') || 'X',
                   '621799' || lpad((v.id * 100000 + r)::text, 13, '0'), '独山县民政局', '城乡居民最低生活保障金', '350.00', 35000, '2024-09', '', '', '', ''
            from vouchers v cross join lateral generate_series(1, v.detail_count) r;
            """);
        await Exec("""
            insert into line_failures (voucher_id, row_no, code)
            select v.id, r * 50, (8 + r % 8)::smallint from vouchers v cross join lateral generate_series(1, v.detail_count / 50) r where v.status = 'COMPLETED';
            insert into posting_chunks (voucher_id, chunk_no, first_row, last_row, paid_count, paid_fen, failed_count, failed_fen, committed_at)
            select id, 1, 1, detail_count, paid_count, paid_fen, failed_count, failed_fen, completed_at from vouchers where status = 'COMPLETED';
            insert into returns (voucher_id, due_date, due_covered, return_count, return_fen, status, executed_at, executed_by)
            select id, business_date + 1, true, failed_count, failed_fen, case when business_date < date '2024-09-25' then 'EXECUTED' else 'SCHEDULED' end,
                   case when business_date < date '2024-09-25' then completed_at + interval '1 day' end, case when business_date < date '2024-09-25' then 'scheduler' end
            from vouchers where status = 'COMPLETED' and failed_count > 0;
            insert into deliveries (content_sm3, adm_div_code, voucher_no, voucher_file, detail_file, outcome, voucher_id, received_at)
            select content_sm3, adm_div_code, voucher_no, 'PV_' || adm_div_code || '_' || voucher_no || '.xml', detail_file, 'ACCEPTED', id, received_at from vouchers;
            insert into deliveries (content_sm3, adm_div_code, voucher_no, voucher_file, outcome, reject_code, reject_detail, received_at)
            select md5('r' || i) || md5('r' || i), '52272' || (i % 5), 'ZF2025' || lpad(i::text, 6, '0'), 'PV_52272' || (i % 5) || '_ZF2025' || lpad(i::text, 6, '0') || '.xml',
                   'REJECTED', 'R0' || (1 + i % 7), 'sample rejection', date '2024-09-02' + i % 20 + time '09:00' - interval '8 hours'
            from generate_series(1, 30) i;
            analyze;
            """);
    }

    private static async Task<WebApplication> StartAsync(string cs)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production", Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Gateway"] = cs });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var db = DatabaseLocator.Build(cs);
        builder.Services.AddSingleton(GatewaySettings.From(builder.Configuration));
        builder.Services.AddSingleton(db);
        builder.Services.AddSingleton(new GatewayClock(TimeProvider.System));
        builder.Services.AddSingleton(_ => new BankKey(Sm2KeyGenerator.Generate()));
        GatewayRuntime.AddStages(builder.Services);
        DashboardSetup.AddDashboard(builder);
        var app = builder.Build();
        DashboardSetup.MapDashboard(app);
        await app.StartAsync();
        await app.Services.GetRequiredService<UserStore>().AddOrUpdateAsync("bench", Roles.Viewer, Password, "benchmark", CancellationToken.None);
        return app;
    }

    [GeneratedRegex("name=\"__af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    internal static async Task<HttpClient> LoginAsync(string baseUrl, CancellationToken ct)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = new Uri(baseUrl) };
        string form = await http.GetStringAsync("/login", ct);
        string token = TokenField().Match(form).Groups[1].Value;
        using var response = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "bench", ["password"] = Password, ["__af"] = token,
        }), ct);
        if (response.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"login failed: {(int)response.StatusCode}");
        return http;
    }

    private static async Task<List<double>> TimeAsync(int requests, Func<Task> once)
    {
        for (int i = 0; i < 5; i++) await once();
        var times = new List<double>(requests);
        for (int i = 0; i < requests; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await once();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return times;
    }

    internal static double Percentile(List<double> times, double p)
    {
        var sorted = times.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static string Describe(string what, List<double> times) => string.Create(CultureInfo.InvariantCulture,
        $"{what,-24} p50 {Percentile(times, 0.5),7:F1} ms  p95 {Percentile(times, 0.95),7:F1} ms  max {times.Max(),7:F1} ms  ({times.Count} requests)");
}
