using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Sshd;
using System.Net;
using System.Text.RegularExpressions;
using BankGateway.Worker.Dashboard;
using NUnit.Framework;
using Npgsql;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// Issue 9: what was produced and what was delivered live in PostgreSQL, so any node delivers. Node A takes a
/// voucher over a real sshd, posts it, records HD_/RS_ and is SIGKILLed at the instant before its first upload;
/// node B (another BANKGATEWAY_HOME, same database) uploads both with their .sig, byte-identical to what A recorded;
/// a re-send puts a file the bureau deleted back on its server.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DeliveryTakeoverTests
{
    private const string Adm = "522726";

    [Test]
    public async Task A_node_killed_before_uploading_leaves_nothing_stranded_another_node_delivers_byte_identical()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("delivery_takeover");
        string work = Directory.CreateTempSubdirectory("bg-takeover-").FullName;
        await using var sshd = await SshdServer.StartAsync();
        try
        {
            var day = await StagedVouchers.PrepareAsync(connectionString, work, 1, 200);
            string remoteInbox = Path.Combine(work, "bureau", "inbox"), remoteOutbox = Path.Combine(work, "bureau", "outbox");
            Directory.CreateDirectory(remoteInbox);
            Directory.CreateDirectory(remoteOutbox);
            var env = SftpEnvironment(day.Environment, sshd, remoteInbox, remoteOutbox);
            string voucherNo = day.Built[0].Voucher.VoucherNo;
            string[] answers = [$"RS_{Adm}_{voucherNo}.csv", $"HD_{Adm}_{voucherNo}.xml"];

            // Node A: takes, posts, records the answers, and dies at the instant before the first byte goes out.
            var envA = new Dictionary<string, string?>(env) { [BankGateway.Worker.Hosting.FaultPoints.Variable] = BankGateway.Worker.Hosting.FaultPoints.BeforeUpload };
            string homeA = Path.Combine(work, "homeA");
            using var nodeA = await ServiceNode.StartAsync(homeA, connectionString, envA);
            await sshd.UploadAsync(remoteInbox, Directory.GetFiles(day.Staging));
            await ServiceNode.WaitUntilAsync(() => nodeA.HasExited, TimeSpan.FromSeconds(90), "node A killed before its first upload", nodeA);
            TestContext.Out.WriteLine("node A:\n" + nodeA.Running.Log);

            Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from outbound_files where kind in ('RS', 'HD')"), Is.EqualTo(2), "A recorded both answers");
            Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from file_deliveries where state = 'PENDING'"), Is.EqualTo(2), "and delivered neither");
            Assert.That(Directory.GetFiles(remoteOutbox), Is.Empty, "nothing reached the bureau");
            string localA = Path.Combine(homeA, "channels", Adm, "outbox");
            var recorded = answers.SelectMany(n => new[] { n, n + ".sig" }).ToDictionary(n => n, n => File.ReadAllBytes(Path.Combine(localA, n)));

            // Node B: its first poll delivers what A recorded, .sig included, byte for byte.
            using var nodeB = await ServiceNode.StartAsync(Path.Combine(work, "homeB"), connectionString, env);
            var started = DateTime.UtcNow;
            await ServiceNode.WaitUntilAsync(() => recorded.Keys.All(n => File.Exists(Path.Combine(remoteOutbox, n))), TimeSpan.FromSeconds(30), "node B delivered", nodeB);
            TestContext.Out.WriteLine($"node B delivered {(DateTime.UtcNow - started).TotalSeconds:F1} s after it answered /health/live (poll every 1 s)");
            foreach (var (name, bytes) in recorded)
                Assert.That(File.ReadAllBytes(Path.Combine(remoteOutbox, name)), Is.EqualTo(bytes), name + " byte-identical to what A recorded");
            foreach (var name in answers)
            {
                var check = OpensslCheck.Verify(Path.Combine(remoteOutbox, name), SampleFiles.Key("bank_public.pem"));
                Assert.That(check.Ok, Is.True, $"openssl verifies {name}.sig: {check.Output}");
            }
            Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from file_deliveries where state = 'DELIVERED' and delivered_by like '%:" + nodeB.Pid + "' and remote_sm3 is not null"),
                Is.EqualTo(2), "delivered by B, the remote copy read back and checked");

            // The bureau lost RS_; an operator presses 重发 on node B's dashboard: a new, audited delivery row puts it back.
            File.Delete(Path.Combine(remoteOutbox, answers[0]));
            File.Delete(Path.Combine(remoteOutbox, answers[0] + ".sig"));
            await ResendFromDashboardAsync(nodeB, connectionString,
                await Sql.ScalarAsync<long>(connectionString, $"select id from vouchers where voucher_no = '{voucherNo}'"));
            await ServiceNode.WaitUntilAsync(() => File.Exists(Path.Combine(remoteOutbox, answers[0] + ".sig")), TimeSpan.FromSeconds(30), "re-sent", nodeB);
            Assert.That(File.ReadAllBytes(Path.Combine(remoteOutbox, answers[0])), Is.EqualTo(recorded[answers[0]]));
            Assert.That(await Sql.ScalarAsync<long>(connectionString, $"select count(*) from file_deliveries where file_name = '{answers[0]}' and state = 'DELIVERED'"),
                Is.EqualTo(2), "the re-send is a delivery of its own");
            Assert.That(await nodeB.StopAsync(TimeSpan.FromSeconds(60)), Is.Zero, nodeB.Running.Log);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task ResendFromDashboardAsync(ServiceNode node, string connectionString, long voucherId)
    {
        await using (var db = NpgsqlDataSource.Create(connectionString))
            await new UserStore(db, new BankGateway.Worker.Hosting.GatewayClock(TimeProvider.System))
                .AddOrUpdateAsync("operator1", Roles.Operator, "resend-Passw0rd!", "test", CancellationToken.None);
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = node.BaseUri };
        var login = await client.PostAsync("/login", Form(await client.GetStringAsync("/login"), new() { ["name"] = "operator1", ["password"] = "resend-Passw0rd!" }));
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "logged in");
        string page = await client.GetStringAsync($"/vouchers/{voucherId}");
        var resend = await client.PostAsync($"/vouchers/{voucherId}?handler=Resend", Form(page, new() { ["expected"] = "COMPLETED", ["confirm"] = "true" }));
        Assert.That(resend.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await resend.Content.ReadAsStringAsync());
        Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from audit_log where action = 'voucher.resend' and actor = 'operator1'"), Is.EqualTo(1), "audited");
    }

    // A form post with the page's antiforgery token (field __af).
    private static FormUrlEncodedContent Form(string page, Dictionary<string, string> fields)
    {
        var m = Regex.Match(page, "<input[^>]*name=\"__af\"[^>]*value=\"([^\"]+)\"|<input[^>]*value=\"([^\"]+)\"[^>]*name=\"__af\"");
        Assert.That(m.Success, "the page carries the antiforgery token");
        fields["__af"] = WebUtility.HtmlDecode(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
        return new FormUrlEncodedContent(fields);
    }

    private static Dictionary<string, string?> SftpEnvironment(Dictionary<string, string?> local, SshdServer sshd, string inbox, string outbox) =>
        new(local)
        {
            ["Gateway__Channels__0__Kind"] = "Sftp",
            ["Gateway__Channels__0__Host"] = sshd.Host,
            ["Gateway__Channels__0__Port"] = sshd.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway__Channels__0__User"] = sshd.User,
            ["Gateway__Channels__0__PrivateKeyFile"] = sshd.ClientKeyPath,
            ["Gateway__Channels__0__HostKeySha256"] = sshd.HostKeyFingerprint,
            ["Gateway__Channels__0__Inbox"] = inbox,
            ["Gateway__Channels__0__Outbox"] = outbox,
        };
}
