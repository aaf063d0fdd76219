using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Pipeline.Tests.Service;
using BankGateway.Testing.Postgres;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Deploy;

/// <summary>
/// What ships in <c>src/BankGateway.Worker/Deploy/</c>, checked with the tools operators use: the alerting rules with
/// Debian's <c>promtool</c> (syntax, unit tests, the live <c>/metrics</c> of a running service), the Grafana
/// dashboard against the rules, and the systemd unit's exposure with <c>systemd-analyze security</c>. A missing tool
/// fails the test (CI installs them: prometheus, systemd).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class DeployChecksTests
{
    /// <summary>The highest exposure <c>systemd-analyze security</c> may rate the unit (0 safe … 10 exposed).</summary>
    private const double MaxExposure = 3.0;

    /// <summary>
    /// Metrics the rules use that a fresh service does not show yet: the audit chain's result appears once this
    /// process has verified it (nightly), and other stages export Delivery's upload backlog and the failover flag.
    /// Only these may be absent from the scrape.
    /// </summary>
    private static readonly string[] NotOnAFreshScrape =
    [
        "bankgateway_audit_chain_holds",
        "bankgateway_delivery_pending", "bankgateway_delivery_oldest_pending_seconds", "bankgateway_delivery_failures_total",
        "bankgateway_database_failover_in_progress",
    ];

    private static string DeployFolder => Path.Combine(SampleFiles.RepoRoot(), "src", "BankGateway.Worker", "Deploy");

    private static string Rules => Path.Combine(DeployFolder, "bankgateway.rules.yml");

    private static string[] RuleTests => Directory.GetFiles(DeployFolder, "*.test.yml");

    [Test]
    public async Task Promtool_check_rules_accepts_the_shipped_rules()
    {
        var (exit, output) = await RunAsync("promtool", ["check", "rules", Rules]);
        TestContext.Out.WriteLine(output);
        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Contain($"SUCCESS: {AlertNames().Count} rules found"));
    }

    [Test]
    public async Task Promtool_test_rules_passes_every_rule_test()
    {
        Assert.That(RuleTests, Has.Length.GreaterThanOrEqualTo(2));
        var (exit, output) = await RunAsync("promtool", ["test", "rules", .. RuleTests.Select(Path.GetFileName)!], DeployFolder);
        TestContext.Out.WriteLine(output);
        Assert.That(exit, Is.Zero, output);
        Assert.That(output, Does.Not.Contain("FAILED"));
    }

    [Test]
    public void Every_alert_fires_in_a_rule_test_and_is_explained_in_operations_md()
    {
        string tests = string.Concat(RuleTests.Select(File.ReadAllText));
        string operations = File.ReadAllText(Path.Combine(SampleFiles.RepoRoot(), "specs", "operations.md"));
        foreach (var alert in AlertNames())
        {
            // A firing case lists the alert's labels under exp_alerts right after its alertname line.
            Assert.That(Regex.IsMatch(tests, $@"alertname: {alert}\s+exp_alerts:\s+- exp_labels:"), Is.True, $"{alert} never fires in a rule test");
            Assert.That(operations, Does.Contain($"`{alert}`"), $"{alert} is not in specs/operations.md's alert table");
        }
    }

    [Test]
    public void The_grafana_dashboard_charts_every_metric_an_alert_uses()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(DeployFolder, "grafana-dashboard.json")));
        var charted = new StringBuilder();
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
            if (panel.TryGetProperty("targets", out var targets))
                foreach (var target in targets.EnumerateArray()) charted.AppendLine(target.GetProperty("expr").GetString());
        Assert.That(RuleMetrics(), Is.Not.Empty);
        Assert.That(RuleMetrics().Where(m => !Regex.IsMatch(charted.ToString(), $@"\b{m}\b")), Is.Empty, "metrics alerted on but not on the dashboard");
    }

    [Test]
    public async Task Systemd_unit_rates_at_most_3_0_exposed()
    {
        string unit = Path.Combine(DeployFolder, "bankgateway.service");
        // --threshold counts tenths: 30 is an overall exposure of 3.0.
        var (exit, output) = await RunAsync("systemd-analyze", ["security", "--offline=true", $"--threshold={MaxExposure * 10:F0}", unit]);
        var overall = OverallExposure().Match(output);
        Assert.That(overall.Success, Is.True, output);
        double exposure = double.Parse(overall.Groups[1].Value, CultureInfo.InvariantCulture);
        TestContext.Out.WriteLine(overall.Value);
        Assert.That(exposure, Is.LessThanOrEqualTo(MaxExposure), output);
        Assert.That(exit, Is.Zero, output);
    }

    [Test]
    public async Task Metrics_of_a_running_service_pass_promtool_check_metrics_and_carry_what_the_rules_use()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("deploy_metrics");
        string work = Directory.CreateTempSubdirectory("bg-deploy-").FullName;
        try
        {
            string inbox = Path.Combine(work, "inbox"), outbox = Path.Combine(work, "outbox");
            Directory.CreateDirectory(inbox);
            Directory.CreateDirectory(outbox);
            using var node = await ServiceNode.StartAsync(Path.Combine(work, "home"), connectionString, ServiceNode.LocalChannel(inbox, outbox));
            Assert.That((await node.GetAsync("/health/ready")).Status, Is.EqualTo(HttpStatusCode.OK), node.Running.Log);
            // The database gauges are measured at each scrape; one racing the start-up jobs may keep the last (none yet).
            string metrics = "";
            for (var until = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < until && !metrics.Contains("bankgateway_archive_verify_failures 0", StringComparison.Ordinal);)
            {
                var (status, body) = await node.GetAsync("/metrics");
                Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
                metrics = body;
            }
            Assert.That(metrics, Does.Contain("bankgateway_quarantined{kind=\"set\"} 0").And.Contain("bankgateway_calendar_year_missing{year=\"this\"} 0")
                .And.Contain("bankgateway_archive_verify_failures 0"), node.Running.Log);
            Assert.That(metrics, Does.Contain("process_cpu_seconds_total").And.Not.Match(@"(?m)^system_runtime_\w+_count[ {]"));

            var (exit, output) = await RunAsync("promtool", ["check", "metrics"], stdin: metrics);
            TestContext.Out.WriteLine($"promtool check metrics: exit {exit} {output}");
            Assert.That(exit, Is.Zero, output);
            Assert.That(output, Is.Empty, "no lint problem");

            var exported = Regex.Matches(metrics, @"(?m)^# TYPE (\w+) ").Select(m => m.Groups[1].Value).ToHashSet();
            Assert.That(RuleMetrics().Except(exported).Except(NotOnAFreshScrape), Is.Empty, "metrics the rules use that the service does not export");
            Assert.That(await node.StopAsync(TimeSpan.FromSeconds(60)), Is.Zero, node.Running.Log);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static List<string> AlertNames() =>
        AlertLine().Matches(File.ReadAllText(Rules)).Select(m => m.Groups[1].Value).ToList();

    private static HashSet<string> RuleMetrics() =>
        Regex.Matches(string.Join('\n', ExprLine().Matches(File.ReadAllText(Rules)).Select(m => m.Groups[1].Value)), @"\bbankgateway_\w+")
            .Select(m => m.Value).ToHashSet();

    [GeneratedRegex(@"(?m)^\s+- alert: (\w+)")]
    private static partial Regex AlertLine();

    [GeneratedRegex(@"(?m)^\s+expr: (.+)$")]
    private static partial Regex ExprLine();

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d)")]
    private static partial Regex OverallExposure();

    private static async Task<(int Exit, string Output)> RunAsync(string tool, IEnumerable<string> arguments, string? workingDirectory = null, string? stdin = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? DeployFolder,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["SYSTEMD_COLORS"] = "0";
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"{tool} is not installed ({e.Message}): apt-get install {(tool == "promtool" ? "prometheus" : "systemd")} (.ci/run does)");
            throw;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, (await stdout + await stderr).Trim());
        }
    }
}
