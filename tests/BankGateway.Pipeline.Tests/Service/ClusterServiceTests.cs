using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// Two service processes on one PostgreSQL polling one inbox (Quartz clustering, the channel lock and the
/// voucher claims): every voucher is taken once and every line paid once, even when one node is SIGKILLed
/// in the middle of posting.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ClusterServiceTests
{
    private const int Vouchers = 20;
    private const int LinesPerVoucher = 3_000;

    [Test]
    public async Task Two_workers_on_one_inbox_pay_every_line_exactly_once_even_when_one_is_killed_midway()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("service_cluster");
        string work = Directory.CreateTempSubdirectory("bg-cluster-").FullName;
        try
        {
            // 20 signed vouchers paying distinct people, staged outside the inbox and dropped in at once.
            var day = await StagedVouchers.PrepareAsync(connectionString, work, Vouchers, LinesPerVoucher);
            var (inbox, outbox, built, env) = (day.Inbox, day.Outbox, day.Built, day.Environment);
            long openingTotal = await Sql.ScalarAsync<long>(connectionString, "select sum(balance_fen)::bigint from accounts");
            env["Gateway__Posting__ChunkSize"] = "1000";
            using var first = await ServiceNode.StartAsync(Path.Combine(work, "home1"), connectionString, env);
            using var second = await ServiceNode.StartAsync(Path.Combine(work, "home2"), connectionString, env);
            day.DropIntoInbox();

            // Kill whichever node is posting, in the middle of it.
            ServiceNode? posting = null;
            await ServiceNode.WaitUntilAsync(() =>
            {
                posting = new[] { first, second }.FirstOrDefault(n => n.Running.Lines.Any(l => l.Contains(" chunk ", StringComparison.Ordinal)));
                return posting is not null;
            }, TimeSpan.FromSeconds(60), "posting started", first, second);
            posting!.Kill();
            var survivor = posting == first ? second : first;

            bool AllAnswered() => built.All(b => File.Exists(Path.Combine(outbox, $"HD_522726_{b.Voucher.VoucherNo}.xml.sig")));
            await ServiceNode.WaitUntilAsync(AllAnswered, TimeSpan.FromSeconds(90), "every voucher answered by the survivor", survivor);
            Assert.That(await survivor.StopAsync(TimeSpan.FromSeconds(60)), Is.Zero, survivor.Running.Log);

            TestContext.Out.WriteLine($"killed node {posting.Pid} while posting; survivor {survivor.Pid} log:\n{survivor.Running.Log}\n---- killed node log:\n{posting.Running.Log}");
            long total = built.Sum(b => b.TotalFen);
            Assert.Multiple(async () =>
            {
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from deliveries"), Is.EqualTo(Vouchers), "each set taken once");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from vouchers where status = 'COMPLETED'"), Is.EqualTo(Vouchers));
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from journal where kind = 'P' and side = 'C'"),
                    Is.EqualTo(Vouchers * LinesPerVoucher), "one credit per line");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from (select distinct voucher_id, ref_no from journal where kind = 'P' and side = 'C') d"),
                    Is.EqualTo(Vouchers * LinesPerVoucher), "no line credited twice");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select sum(balance_fen)::bigint from accounts"), Is.EqualTo(openingTotal + total), "balances exact to the fen");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select sum(paid_fen)::bigint from vouchers"), Is.EqualTo(total));
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from line_failures"), Is.Zero);
                Assert.That(Directory.GetFiles(Path.Combine(inbox, "processed"), "PV_*.xml"), Has.Length.EqualTo(Vouchers));
                Assert.That(Directory.GetFiles(inbox, "PV_*"), Is.Empty);
                Assert.That(Directory.GetFiles(outbox, "RJ_*"), Is.Empty, "no set was taken twice (a second take would be R04)");
                Assert.That(Directory.GetFiles(outbox, "*.tmp"), Is.Empty);
            });
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

}
