using System.Net;
using System.Text.RegularExpressions;
using BankGateway.Pipeline.Tests.Dashboard;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Supervision;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Supervision;

/// <summary>
/// The nightly supervision job (audit chain check recorded for the dashboard, anomalies month to date) and the
/// audit page's chain status line.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class SupervisionJobTests
{
    [Test]
    public async Task Nightly_run_records_the_chain_status_and_writes_the_month_to_date_anomaly_list()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("supervision_job");
        string outDir = Path.Combine(Path.GetTempPath(), $"bg-yc-{Guid.NewGuid():N}");
        await using var gateway = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"),
            new Dictionary<string, string?> { [SupervisionJob.OutDirKey] = outDir });
        try
        {
            var job = new SupervisionJob(gateway.Get<AuditVerifier>(), gateway.Get<AnomalyRun>(), gateway.Get<GatewayClock>(),
                gateway.Get<IConfiguration>(), NullLogger<SupervisionJob>.Instance);
            await using (var connection = await gateway.Db.OpenConnectionAsync())
                await AuditChain.AppendAsync(connection, null, "tester", "note", null, "before the nightly run", CancellationToken.None);

            var (chain, anomalies) = await job.RunAsync(new DateOnly(2024, 10, 1), CancellationToken.None);
            Assert.That(chain.Holds, Is.True, chain.Message);
            Assert.That(Path.GetFileName(anomalies.Path), Is.EqualTo("YC_20240901_20240930.csv"));
            Assert.That(File.ReadAllLines(anomalies.Path), Has.Length.EqualTo(1), "nothing planted: header only");
            var last = await gateway.Get<AuditVerifier>().LastAsync(CancellationToken.None);
            Assert.That((last!.Holds, last.VerifiedBy), Is.EqualTo((true, "nightly")));

            await gateway.ScalarAsync<int>("alter table audit_log disable trigger user; update audit_log set actor = 'x'; alter table audit_log enable trigger user; select 1");
            (chain, _) = await job.RunAsync(new DateOnly(2024, 10, 1), CancellationToken.None);
            Assert.That(chain.Holds, Is.False);
            last = await gateway.Get<AuditVerifier>().LastAsync(CancellationToken.None);
            Assert.That((last!.Holds, last.BrokenId), Is.EqualTo((false, chain.BrokenId)));
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    [Test]
    public async Task Audit_page_shows_the_latest_chain_status()
    {
        var db = await TestDatabase.GetSharedAsync();
        await using var server = await DashboardServer.StartAsync(await db.CreateDatabaseAsync("supervision_dashboard"));
        await server.Get<UserStore>().AddOrUpdateAsync("auditor", Roles.Viewer, "correct horse battery staple", "test", CancellationToken.None);
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = true };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(server.BaseUrl) };
        string login = await http.GetStringAsync("/login");
        var token = AntiforgeryToken().Match(login).Groups[1].Value;
        var posted = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "auditor", ["password"] = "correct horse battery staple", ["returnUrl"] = "/audit", ["__af"] = token,
        }));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        Assert.That(ChainLine(await http.GetStringAsync("/audit")), Does.Contain("尚未校验"));
        var verifier = server.Get<AuditVerifier>();
        await verifier.RecordAsync(await verifier.VerifyAsync(CancellationToken.None), "nightly", CancellationToken.None);
        Assert.That(ChainLine(await http.GetStringAsync("/audit")), Does.Contain("完整").And.Contain("nightly"));
    }

    private static string ChainLine(string html)
    {
        var match = ChainParagraph().Match(html);
        Assert.That(match.Success, Is.True, "the audit page has its chain line (logged in?)");
        return match.Value;
    }

    [GeneratedRegex("name=\"__af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex("<p id=\"audit-chain\"[^>]*>.*?</p>", RegexOptions.Singleline)]
    private static partial Regex ChainParagraph();
}
