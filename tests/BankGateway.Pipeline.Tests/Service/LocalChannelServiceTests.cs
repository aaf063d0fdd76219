using System.Net;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.MasterData;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// The always-on service as operators run it (contract §11): the real worker with no command, configured by
/// environment variables, one Local channel, a real PostgreSQL; then health, metrics and SIGTERM.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LocalChannelServiceTests
{
    private static readonly string[] Accepted = ["ZF2024000123", "ZF2024000124", "ZF2024000125", "ZF2024000126"];
    private static readonly string[] Rejected = ["ZF2024000201", "ZF2024000202", "ZF2024000203", "ZF2024000205", "ZF2024000206", "ZF2024000207"];

    [Test]
    public async Task Service_answers_vouchers_dropped_in_a_local_inbox_serves_health_and_metrics_and_stops_cleanly_on_SIGTERM()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("service_local_channel");
        string work = Directory.CreateTempSubdirectory("bg-service-").FullName;
        try
        {
            string samples = SampleFiles.CopyTo(work);
            await ImportMasterDataAsync(connectionString, samples);
            string inbox = Path.Combine(work, "inbox"), outbox = Path.Combine(work, "outbox");
            Directory.CreateDirectory(inbox);

            using var node = await ServiceNode.StartAsync(Path.Combine(work, "home"), connectionString, ServiceNode.LocalChannel(inbox, outbox));
            var ready = await node.GetAsync("/health/ready");
            Assert.That(ready.Status, Is.EqualTo(HttpStatusCode.OK), ready.Body);

            // The bureau drops the day's sets while the service runs.
            foreach (var file in Directory.GetFiles(Path.Combine(samples, "inbox")))
                File.Copy(file, Path.Combine(inbox, Path.GetFileName(file)));
            bool Answered() => Accepted.All(v => File.Exists(Path.Combine(outbox, $"HD_522726_{v}.xml.sig")))
                && Rejected.All(v => File.Exists(Path.Combine(outbox, $"RJ_522726_{v}.xml.sig")));
            await ServiceNode.WaitUntilAsync(Answered, TimeSpan.FromSeconds(60), "every voucher answered", node);

            Assert.Multiple(async () =>
            {
                foreach (var v in Accepted) Assert.That(File.Exists(Path.Combine(outbox, $"RS_522726_{v}.csv")), Is.True, $"RS_ of {v}");
                Assert.That(Directory.GetFiles(inbox, "PV_*"), Is.Empty, "every set moved to processed/");
                Assert.That((await node.GetAsync("/health/live")).Status, Is.EqualTo(HttpStatusCode.OK));
                Assert.That((await node.GetAsync("/health/ready")).Status, Is.EqualTo(HttpStatusCode.OK));
            });

            var metrics = (await node.GetAsync("/metrics")).Body;
            Assert.Multiple(() =>
            {
                Assert.That(metrics, Does.Contain("bankgateway_intake_sets_taken_total{channel=\"522726\"} 10"));
                Assert.That(metrics, Does.Contain("bankgateway_vouchers_total{channel=\"522726\",outcome=\"accepted\"} 4"));
                Assert.That(metrics, Does.Contain("bankgateway_vouchers_total{channel=\"522726\",outcome=\"rejected\"} 6"));
                Assert.That(metrics, Does.Contain("bankgateway_failures_total{code=\"R01\"} 1"));
                Assert.That(metrics, Does.Match("bankgateway_failures_total\\{code=\"F\\d\\d\"\\} [1-9]"));
                Assert.That(metrics, Does.Match("bankgateway_lines_posted_total\\{result=\"paid\"\\} [1-9]"));
                Assert.That(metrics, Does.Contain("bankgateway_posting_lines_per_second"));
                Assert.That(metrics, Does.Contain("bankgateway_channel_errors_total{channel=\"522726\"} 0"));
                Assert.That(metrics, Does.Contain("bankgateway_channel_circuit_state{channel=\"522726\"} 0"));
                Assert.That(metrics, Does.Contain("bankgateway_returns_due 0"));
                Assert.That(metrics, Does.Contain("bankgateway_oldest_unprocessed_voucher_age_seconds 0"));
                Assert.That(metrics, Does.Contain("bankgateway_vouchers_at_deadline_risk 0"));
                Assert.That(metrics, Does.Contain("bankgateway_reconciliation_differences 0"));
            });

            // The inbox disappears (an unmounted share): not ready at once, naming the channel as failing but
            // not the folder (the anonymous answer carries no paths; the log says why).
            Directory.Delete(inbox, recursive: true);
            var notReady = await node.GetAsync("/health/ready");
            Assert.That(notReady.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(notReady.Body, Does.Contain("channel 522726").And.Contain("failing").And.Not.Contain(inbox));
            Assert.That((await node.GetAsync("/health/live")).Status, Is.EqualTo(HttpStatusCode.OK), "alive while not ready");
            Assert.That((await node.GetAsync("/vouchers")).Status, Is.Not.EqualTo(HttpStatusCode.OK), "other pages need a login");

            int exitCode = await node.StopAsync(TimeSpan.FromSeconds(60));
            Assert.That(exitCode, Is.Zero, node.Running.Log);
            Assert.That(Directory.GetFiles(outbox, "*.tmp"), Is.Empty, "no half-written file");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [TestCase("Gateway__Channels__0__AdmDivCode", "52272", "Gateway:Channels:0:AdmDivCode")]
    [TestCase("Gateway__Channels__0__Kind", "Ftp", "Gateway:Channels:0:Kind")]
    [TestCase("Gateway__Channels__0__PollSeconds", "soon", "Gateway:Channels:0:PollSeconds")]
    [TestCase("Gateway__Channels__0__FinancePublicKeyFile", "/nonexistent/finance.pem", "Gateway:Channels:0:FinancePublicKeyFile")]
    [TestCase("Gateway__ReturnTime", "9am", "Gateway:ReturnTime")]
    [TestCase("Gateway__Dashboard__Urls", "localhost:5080", "Gateway:Dashboard:Urls")]
    [TestCase("Gateway__Service__PollConcurrency", "0", "Gateway:Service:PollConcurrency")]
    [TestCase("Gateway__Intake__Concurrency", "65", "Gateway:Intake:Concurrency")]
    public async Task Wrong_setting_stops_the_start_with_exit_code_1_naming_the_key(string variable, string value, string key)
    {
        string work = Directory.CreateTempSubdirectory("bg-service-bad-").FullName;
        try
        {
            var env = ServiceNode.LocalChannel(Path.Combine(work, "in"), Path.Combine(work, "out"));
            env[variable] = value;
            var result = await new WorkerProcess(Path.Combine(work, "home"), "Host=127.0.0.1;Port=1;Database=unused", env).RunAsync();
            Assert.That(result.ExitCode, Is.EqualTo(1), result.Stderr);
            Assert.That(result.Stderr, Does.Contain($"Configuration {key}:"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Test]
    public async Task Sftp_channel_without_a_pinned_host_key_stops_the_start_naming_the_key()
    {
        string work = Directory.CreateTempSubdirectory("bg-service-bad-").FullName;
        try
        {
            string privateKey = Path.Combine(work, "id_ed25519");
            File.WriteAllText(privateKey, "not checked before the host key");
            var env = ServiceNode.LocalChannel("outgoing", "incoming");
            env["Gateway__Channels__0__Kind"] = "Sftp";
            env["Gateway__Channels__0__Host"] = "sftp.example";
            env["Gateway__Channels__0__User"] = "bank";
            env["Gateway__Channels__0__PrivateKeyFile"] = privateKey;
            var result = await new WorkerProcess(Path.Combine(work, "home"), "Host=127.0.0.1;Port=1;Database=unused", env).RunAsync();
            Assert.That(result.ExitCode, Is.EqualTo(1), result.Stderr);
            Assert.That(result.Stderr, Does.Contain("Configuration Gateway:Channels:0:HostKeySha256: required for an Sftp channel"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Test]
    public async Task Missing_bank_key_stops_the_start_with_the_clear_message()
    {
        string work = Directory.CreateTempSubdirectory("bg-service-bad-").FullName;
        try
        {
            var env = ServiceNode.LocalChannel(Path.Combine(work, "in"), Path.Combine(work, "out"));
            env["Gateway__BankKeyFile"] = Path.Combine(work, "no_such_key.pem");
            var result = await new WorkerProcess(Path.Combine(work, "home"), "Host=127.0.0.1;Port=1;Database=unused", env).RunAsync();
            Assert.That(result.ExitCode, Is.EqualTo(1), result.Stderr);
            Assert.That(result.Stderr, Does.Contain("bank's SM2 private key was not found").And.Contain("never made on the fly"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    internal static async Task ImportMasterDataAsync(string connectionString, string samples)
    {
        await using var gateway = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"));
        await gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
        await gateway.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
    }
}
