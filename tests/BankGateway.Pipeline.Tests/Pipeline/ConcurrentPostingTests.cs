using BankGateway.Files.Signing;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Posting;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// Two workers reaching the same chunks of one voucher (the second took the voucher over after the
/// first one's lease lapsed, while the first still runs): each chunk is posted exactly once, and the
/// worker that arrives second skips the chunk instead of failing on a unique key.
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
}
