using System.Diagnostics;
using System.Text.RegularExpressions;
using BankGateway.Files.Formats;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// Issue 9's failover guarantee: the service runs against a primary and a synchronous standby (Npgsql
/// multi-host, Target Session Attributes=primary); the primary's host dies while a 200,000-line voucher is
/// being posted and the standby is promoted; the same service process finishes on its own, every line paid
/// exactly once, the ledger exact, the answers written once.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DatabaseFailoverTests
{
    private const int Lines = 200_000;
    private const int ChunkSize = 5_000;

    [Test]
    public async Task Primary_killed_while_posting_and_standby_promoted_the_service_finishes_by_itself_exactly_once()
    {
        await using var pair = await ReplicatedPostgres.StartAsync();
        string connectionString = await pair.CreateDatabaseAsync("service_failover");
        string work = Directory.CreateTempSubdirectory("bg-failover-").FullName;
        try
        {
            var day = await StagedVouchers.PrepareAsync(connectionString, work, 1, Lines);
            var (outbox, built, env) = (day.Outbox, day.Built[0], day.Environment);
            env["Gateway__Posting__ChunkSize"] = ChunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
            long openingTotal = await Sql.ScalarAsync<long>(connectionString, "select sum(balance_fen)::bigint from accounts");

            using var node = await ServiceNode.StartAsync(Path.Combine(work, "home"), connectionString, env);
            Assert.That(await FailoverGaugeAsync(node), Is.Zero, "no failover while the primary answers");
            var clock = Stopwatch.StartNew();
            day.DropIntoInbox();
            int Committed() => node.Running.Lines.Count(l => l.Contains(" committed, rows ", StringComparison.Ordinal));
            await ServiceNode.WaitUntilAsync(() => Committed() >= 4, TimeSpan.FromMinutes(2), "the first chunks committed", node);

            // The primary's host dies in the middle of posting.
            await pair.KillPrimaryAsync();
            int committedAtKill = Committed();
            var killedAt = clock.Elapsed;
            Assert.That(committedAtKill, Is.LessThan(Lines / ChunkSize), "killed while chunks were still to post");

            // What an operator sees before the promotion: the alarm gauge at 1 and readiness failing.
            await ServiceNode.WaitUntilAsync(() => FailoverGaugeAsync(node).GetAwaiter().GetResult() == 1,
                TimeSpan.FromSeconds(30), "bankgateway_database_failover_in_progress = 1", node);
            var (readyStatus, _) = await node.GetAsync("/health/ready");
            Assert.That((int)readyStatus, Is.EqualTo(503), "not ready while there is no primary");
            // An HA manager promotes only after the leader's lease lapsed; meanwhile the service finds no primary.
            await Task.Delay(TimeSpan.FromSeconds(5));

            // Patroni or repmgr promotes the standby; nothing is done on the gateway.
            await pair.PromoteStandbyAsync();
            var promotedAt = clock.Elapsed;
            string hd = Path.Combine(outbox, FileNames.Receipt("522726", built.Voucher.VoucherNo));
            string rs = Path.Combine(outbox, FileNames.Result("522726", built.Voucher.VoucherNo));
            await ServiceNode.WaitUntilAsync(() => File.Exists(FileNames.Signature(hd)) && File.Exists(FileNames.Signature(rs)), TimeSpan.FromMinutes(5),
                "the voucher's answers after the promotion", node);
            await ServiceNode.WaitUntilAsync(() => FailoverGaugeAsync(node).GetAwaiter().GetResult() == 0,
                TimeSpan.FromSeconds(30), "bankgateway_database_failover_in_progress back to 0", node);
            var answeredAt = clock.Elapsed;
            string metrics = (await node.GetAsync("/metrics")).Body;
            TestContext.Out.WriteLine($"{committedAtKill} of {Lines / ChunkSize} chunks committed at the kill ({killedAt.TotalSeconds:F1} s), "
                + $"promoted at {promotedAt.TotalSeconds:F1} s, answered at {answeredAt.TotalSeconds:F1} s\n{node.Running.Log}");

            Assert.Multiple(async () =>
            {
                Assert.That(node.HasExited, Is.False, "the service rode through the failover without a restart");
                Assert.That((int)(await node.GetAsync("/health/ready")).Status, Is.EqualTo(200), "ready again on the new primary");
                Assert.That(await Sql.ScalarAsync<string>(connectionString, "select status from vouchers"), Is.EqualTo("COMPLETED"));
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from posting_chunks"), Is.EqualTo(Lines / ChunkSize));
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from journal where kind = 'P' and side = 'C'"), Is.EqualTo(Lines), "one credit per line");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(distinct ref_no) from journal where kind = 'P' and side = 'C'"), Is.EqualTo(Lines), "no line credited twice");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from line_failures"), Is.Zero);
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select sum(balance_fen)::bigint from accounts"), Is.EqualTo(openingTotal + built.TotalFen), "balances = opening + credits, to the fen");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select coalesce(sum(case side when 'D' then amount_fen else -amount_fen end), 0)::bigint from journal"), Is.Zero, "debits equal credits");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select paid_fen from vouchers"), Is.EqualTo(built.TotalFen));
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from quarantine"), Is.Zero, "a failover is not a fault of the voucher");

                // Every answer once: one HD_ and one RS_ recorded and on disk, each signed, and answered once by the process.
                Assert.That(Directory.GetFiles(outbox).Select(Path.GetFileName).Order(),
                    Is.EqualTo(new[] { hd, FileNames.Signature(hd), rs, FileNames.Signature(rs) }.Select(Path.GetFileName).Order()));
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from outbound_files where file_name like 'HD\\_%' or file_name like 'RS\\_%'"), Is.EqualTo(2));
                foreach (var file in new[] { hd, rs })
                {
                    var (ok, output) = OpensslCheck.Verify(file, SampleFiles.Key("bank_public.pem"));
                    Assert.That(ok, Is.True, $"openssl verifies {Path.GetFileName(file)}: {output}");
                }
                Assert.That(Regex.IsMatch(metrics, @"bankgateway_vouchers_total\{channel=""522726"",outcome=""answered""\} 1\b"), Is.True, "answered exactly once by the process");
            });
        }
        catch (Exception) when (Log(pair))
        {
            throw;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static bool Log(ReplicatedPostgres pair)
    {
        TestContext.Out.WriteLine(pair.Logs);
        return false;
    }

    private static async Task<int> FailoverGaugeAsync(ServiceNode node)
    {
        var (_, body) = await node.GetAsync("/metrics");
        var match = Regex.Match(body, @"^bankgateway_database_failover_in_progress (\d+)", RegexOptions.Multiline);
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
    }
}
