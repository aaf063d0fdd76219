using System.Globalization;
using System.Net;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Pipeline.Tests.Service;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.MasterData;
using NUnit.Framework;
using static BankGateway.Pipeline.Tests.Pipeline.VoucherBuilder;

namespace BankGateway.Pipeline.Tests.Notices;

/// <summary>
/// The service sends notices continuously (contract §16). SIGKILLed in the middle of sending and started
/// again, it still gets every credited line with a valid phone acknowledged, to a platform that refuses a
/// third of the requests; a repeat of an id after the crash is the same notice (same id and text).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NoticesServiceTests
{
    private const int Lines = 300;

    [Test]
    public async Task Service_killed_while_sending_and_restarted_acknowledges_every_notice()
    {
        var server = await TestDatabase.GetSharedAsync();
        string db = await server.CreateDatabaseAsync("notices_service_kill");
        string work = Directory.CreateTempSubdirectory("bg-sms-service-").FullName;
        await using var platform = await SmsPlatform.StartAsync(failRatio: 1.0 / 3, seed: 7);
        platform.Delay = TimeSpan.FromMilliseconds(20);
        ServiceNode? node = null;
        try
        {
            var finance = Sm2KeyGenerator.Generate();
            string financePub = Path.Combine(work, "finance_public.pem");
            File.WriteAllText(financePub, finance.PublicKey.ToPem());
            var people = LargeVoucher.Write(Path.Combine(work, "unused"), Path.Combine(work, "people"), Lines, finance, accountMultiple: 1);
            await using (var gateway = await GatewayHarness.StartAsync(db, SampleFiles.Key("bank_private.pem")))
            {
                await gateway.Get<CatalogueImport>().ImportAsync(people.CataloguePath, CancellationToken.None);
                await gateway.Get<AccountMaster>().ImportAsync(people.AccountsPath, null, CancellationToken.None);
            }
            // Most lines carry a valid phone; every 10th none, every 10th+1 a malformed one, every 50th+7 fails F08.
            var lines = Enumerable.Range(1, Lines).Select(i => Line(i, i % 50 == 7 ? 900_000 + i : i) with
            {
                Phone = (i % 10) switch { 0 => "", 1 => "1390000" + i.ToString(CultureInfo.InvariantCulture), _ => "139" + i.ToString("D8", CultureInfo.InvariantCulture) },
            }).ToArray();
            string staging = Path.Combine(work, "staging"), inbox = Path.Combine(work, "inbox"), outbox = Path.Combine(work, "outbox");
            new VoucherBuilder("ZFSMS-KILL", lines).WriteTo(staging, finance);
            Directory.CreateDirectory(inbox);

            var env = ServiceNode.LocalChannel(inbox, outbox);
            env["Gateway__Channels__0__FinancePublicKeyFile"] = financePub;
            env["Gateway__Sms__Url"] = platform.Url.ToString();
            env["Gateway__Sms__PerSecond"] = "30";
            string home = Path.Combine(work, "home");

            node = await ServiceNode.StartAsync(home, db, env);
            foreach (var file in Directory.GetFiles(staging)) File.Move(file, Path.Combine(inbox, Path.GetFileName(file)));
            await ServiceNode.WaitUntilAsync(() => File.Exists(Path.Combine(outbox, "HD_522726_ZFSMS-KILL.xml.sig")), TimeSpan.FromSeconds(60), "voucher answered", node);
            var expected = await NoticesCommandTests.ExpectedAsync(db, outbox);
            Assert.That(expected, Has.Count.InRange(200, 240));

            // Kill while sending: some acknowledged, many still pending.
            await ServiceNode.WaitUntilAsync(() => platform.Acknowledged.Select(r => r.Id).Distinct().Count() >= expected.Count / 3,
                TimeSpan.FromSeconds(90), "a third acknowledged", node);
            node.Kill();
            long sentAtKill = await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices where state = 'SENT'");
            var ackedAtKill = platform.Acknowledged.Select(r => r.Id).ToHashSet();
            Assert.That(sentAtKill, Is.LessThan(expected.Count), "killed before the end");
            Assert.That(sentAtKill, Is.LessThanOrEqualTo(ackedAtKill.Count), "nothing marked sent that was not acknowledged");
            node.Dispose();

            node = await ServiceNode.StartAsync(home, db, env);
            var restarted = node;
            var done = false;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(240);
            while (!done && DateTime.UtcNow < until)
            {
                done = await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices where state = 'SENT'") == expected.Count;
                if (!done) await Task.Delay(500);
            }
            Assert.That(done, Is.True, $"every notice sent after the restart\n{restarted.Running.Log}");

            NoticesCommandTests.AssertDelivered(platform, expected, restarted.Running.Log, crashes: true);
            // Only what was in flight at the kill may be acknowledged twice.
            var twice = platform.Acknowledged.GroupBy(r => r.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.That(twice, Has.Count.LessThanOrEqualTo(ackedAtKill.Count - (int)sentAtKill + 30), "repeats only for notices in flight at the kill");
            Assert.That(await Sql.ScalarAsync<long>(db, "select count(*) from journal where kind = 'P' and side = 'C'"), Is.EqualTo(Lines - Lines / 50), "credited once");
            // The dashboard's totals, kept by the sender through a kill, failures and retries, agree with the notices.
            Assert.That(await Sql.ScalarAsync<string>(db, "select sent || '/' || attempts from sms_counters"),
                Is.EqualTo(await Sql.ScalarAsync<string>(db, "select count(*) filter (where state = 'SENT') || '/' || sum(attempts) from sms_notices")));

            var metrics = (await node.GetAsync("/metrics")).Body;
            Assert.That(metrics, Does.Contain("bankgateway_sms_pending 0"));
            Assert.That(metrics, Does.Contain("bankgateway_sms_oldest_pending_age_seconds 0"));
            Assert.That(metrics, Does.Match("bankgateway_sms_sent_total [1-9]"));
            Assert.That(metrics, Does.Contain("bankgateway_sms_failed_attempts_total"));
            Assert.That((await node.GetAsync("/health/ready")).Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await node.StopAsync(TimeSpan.FromSeconds(60)), Is.Zero, node.Running.Log);
        }
        finally
        {
            node?.Dispose();
            Directory.Delete(work, recursive: true);
        }
    }

    [Test]
    public async Task Service_without_an_SMS_url_keeps_notices_waiting_and_stays_ready()
    {
        var server = await TestDatabase.GetSharedAsync();
        string db = await server.CreateDatabaseAsync("notices_service_no_url");
        string work = Directory.CreateTempSubdirectory("bg-sms-nourl-").FullName;
        try
        {
            string samples = SampleFiles.CopyTo(work);
            await using (var gateway = await GatewayHarness.StartAsync(db, SampleFiles.Key("bank_private.pem")))
            {
                await gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
                await gateway.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
            }
            string inbox = Path.Combine(samples, "inbox"), outbox = Path.Combine(work, "outbox");
            using var node = await ServiceNode.StartAsync(Path.Combine(work, "home"), db, ServiceNode.LocalChannel(inbox, outbox));
            await ServiceNode.WaitUntilAsync(() => File.Exists(Path.Combine(outbox, "HD_522726_ZF2024000123.xml.sig")), TimeSpan.FromSeconds(60), "voucher answered", node);
            await Task.Delay(TimeSpan.FromSeconds(12)); // at least one run of the sending job
            long pending = await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices where state = 'PENDING' and attempts = 0");
            Assert.That(pending, Is.GreaterThan(0));
            Assert.That(await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices where state <> 'PENDING'"), Is.Zero);
            Assert.That((await node.GetAsync("/health/ready")).Status, Is.EqualTo(HttpStatusCode.OK), "no URL is not a readiness problem");
            var metrics = (await node.GetAsync("/metrics")).Body;
            Assert.That(metrics, Does.Contain($"bankgateway_sms_pending {pending}"));
            Assert.That(metrics, Does.Match(@"bankgateway_sms_oldest_pending_age_seconds [1-9]"));
            Assert.That(await node.StopAsync(TimeSpan.FromSeconds(60)), Is.Zero, node.Running.Log);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
