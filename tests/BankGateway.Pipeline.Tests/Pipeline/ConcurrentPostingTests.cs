using BankGateway.Files.Signing;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Posting;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// Two workers reaching the same chunks of one voucher (the second took the voucher over after the
/// first one's lease lapsed, while the first still runs): each chunk is posted exactly once, and the
/// worker that arrives second skips the chunk instead of failing on a unique key. And two vouchers paying
/// the same people the same subsidy and period, posted at once: everyone is paid once, the rest is F07 (D57).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConcurrentPostingTests
{
    private const int Lines = 6_000;

    [Test]
    public async Task Two_engines_posting_the_same_voucher_at_once_post_every_chunk_once()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("posting_two_engines");
        var settings = new Dictionary<string, string?> { ["Gateway:Posting:ChunkSize"] = "1000", ["Gateway:Posting:Connections"] = "2" };
        await using var first = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"), settings);
        await using var second = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"), settings);

        var financeKey = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
        var ids = new List<long>();
        for (int k = 0; k < 3; k++)
        {
            string inbox = Path.Combine(first.Work, $"in{k}");
            var built = LargeVoucher.Write(inbox, Path.Combine(first.Work, $"data{k}"), Lines, financeKey, $"ZF20249100{k:D2}",
                accountMultiple: 1, firstAccount: k * Lines + 1L);
            await first.Get<CatalogueImport>().ImportAsync(built.CataloguePath, CancellationToken.None);
            await first.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);

            // Every 10th person has no account: every chunk records line failures (F08).
            await first.ScalarAsync<long>(
                "with d as (delete from accounts where account_no = any(@gone) returning 1) select count(*) from d",
                new { gone = Enumerable.Range(0, Lines / 10).Select(i => LargeVoucher.Account(k * Lines + 1L + i * 10)).ToArray() });
            var box = new LocalInbox(inbox, NullLogger.Instance, TimeSpan.FromMinutes(30), TimeProvider.System);
            foreach (var set in box.FindCompleteSets())
                await first.Get<VoucherIntake>().TakeAsync(set, SampleFiles.FinancePublic, new DateOnly(2024, 9, 30), CancellationToken.None);
            ids.Add(await first.ScalarAsync<long>("select id from vouchers where voucher_no = @no", new { no = built.Voucher.VoucherNo }));
        }

        foreach (long id in ids)
        {
            using var go = new ManualResetEventSlim();
            var a = Task.Run(async () => { go.Wait(); await first.Get<PostingEngine>().PostAsync(id, null, CancellationToken.None); });
            var b = Task.Run(async () => { go.Wait(); await second.Get<PostingEngine>().PostAsync(id, null, CancellationToken.None); });
            go.Set();
            await Task.WhenAll(a, b); // before the fix: PostgresException 23505 on line_failures_pkey

            var v = (await first.QueryAsync<(string Status, int ChunksDone, int ChunkCount, int PaidCount, int FailedCount)>(
                "select status, chunks_done, chunk_count, paid_count, failed_count from vouchers where id = @id", new { id })).Single();
            Assert.Multiple(async () =>
            {
                Assert.That(v.Status, Is.EqualTo("COMPLETED"));
                Assert.That(v.ChunksDone, Is.EqualTo(v.ChunkCount));
                Assert.That(v.ChunkCount, Is.EqualTo(Lines / 1000));
                Assert.That(v.PaidCount, Is.EqualTo(Lines - Lines / 10));
                Assert.That(v.FailedCount, Is.EqualTo(Lines / 10));
                Assert.That(await first.ScalarAsync<long>("select count(*) from journal where voucher_id = @id and kind = 'P' and side = 'C'", new { id }), Is.EqualTo(Lines - Lines / 10));
                Assert.That(await first.ScalarAsync<long>("select count(*) from journal where voucher_id = @id and kind = 'P' and side = 'D'", new { id }), Is.EqualTo(Lines / 1000), "one transit debit per chunk");
                Assert.That(await first.ScalarAsync<long>("select count(*) from line_failures where voucher_id = @id", new { id }), Is.EqualTo(Lines / 10));
                Assert.That(await first.ScalarAsync<long>("select count(*) from line_failures where voucher_id = @id and code <> 8", new { id }), Is.Zero, "no paid line recorded as failed");
                Assert.That(await first.ScalarAsync<long>("select coalesce(sum(paid_count), 0) from posting_chunks where voucher_id = @id", new { id }), Is.EqualTo(Lines - Lines / 10));
            });
        }
    }

    [Test]
    public async Task Two_vouchers_paying_the_same_people_at_once_pay_each_person_once_and_the_rest_fails_F07()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("posting_same_people");
        var settings = new Dictionary<string, string?> { ["Gateway:Posting:ChunkSize"] = "1000", ["Gateway:Posting:Connections"] = "2" };
        await using var first = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"), settings);
        await using var second = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"), settings);

        var financeKey = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
        var ids = new List<long>();
        foreach (string voucherNo in new[] { "ZF2024920001", "ZF2024920002" })
        {
            // The same people 1..Lines, the same subsidy and period: the same F07 key for every line of both.
            string inbox = Path.Combine(first.Work, voucherNo);
            var built = LargeVoucher.Write(inbox, Path.Combine(first.Work, "data-" + voucherNo), Lines, financeKey, voucherNo, accountMultiple: 1);
            if (ids.Count == 0)
            {
                await first.Get<CatalogueImport>().ImportAsync(built.CataloguePath, CancellationToken.None);
                await first.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);
            }
            var box = new LocalInbox(inbox, NullLogger.Instance, TimeSpan.FromMinutes(30), TimeProvider.System);
            foreach (var set in box.FindCompleteSets())
                await first.Get<VoucherIntake>().TakeAsync(set, SampleFiles.FinancePublic, new DateOnly(2024, 9, 30), CancellationToken.None);
            ids.Add(await first.ScalarAsync<long>("select id from vouchers where voucher_no = @no", new { no = voucherNo }));
        }
        double checkedBefore = GatewayMetrics.PostingChunks.WithLabels("checked").Value;
        long balancesBefore = await first.ScalarAsync<long>("select sum(balance_fen) from accounts");

        using (var go = new ManualResetEventSlim())
        {
            var a = Task.Run(async () => { go.Wait(); await first.Get<PostingEngine>().PostAsync(ids[0], null, CancellationToken.None); });
            var b = Task.Run(async () => { go.Wait(); await second.Get<PostingEngine>().PostAsync(ids[1], null, CancellationToken.None); });
            go.Set();
            await Task.WhenAll(a, b);
        }

        var v = await first.QueryAsync<(string Status, int PaidCount, int FailedCount)>(
            "select status, paid_count, failed_count from vouchers where id = any(@ids) order by id", new { ids });
        long expectedFen = Enumerable.Range(1, Lines).Sum(i => LargeVoucher.AmountFen(i));
        Assert.Multiple(async () =>
        {
            Assert.That(v.Select(x => x.Status), Is.All.EqualTo("COMPLETED"));
            Assert.That(v.Sum(x => x.PaidCount), Is.EqualTo(Lines), "each person paid by exactly one of the two vouchers");
            Assert.That(v.Sum(x => x.FailedCount), Is.EqualTo(Lines));
            Assert.That(await first.ScalarAsync<long>("select count(*) from line_failures where voucher_id = any(@ids) and code <> 7", new { ids }), Is.Zero, "every failure is F07");
            Assert.That(await first.ScalarAsync<long>("select count(distinct id_number) from journal where kind = 'P' and side = 'C'"), Is.EqualTo(Lines));
            Assert.That(await first.ScalarAsync<long>("select sum(balance_fen) from accounts") - balancesBefore, Is.EqualTo(expectedFen), "every account credited once");
            Assert.That(await first.ScalarAsync<long>("select sum(balance_fen) from internal_accounts where account_no like 'TRANSIT-%'"),
                Is.EqualTo(expectedFen), "funded twice, paid out once: the F07 half waits in transit for its return");
            Assert.That(GatewayMetrics.PostingChunks.WithLabels("checked").Value - checkedBefore, Is.GreaterThan(0),
                "the second voucher's chunks met the first one's credits and ran again checked");
        });
    }
}
