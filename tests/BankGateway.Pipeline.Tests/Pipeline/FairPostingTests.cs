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
/// D48: a small voucher recorded while a large one is posting is posted between the large one's chunks,
/// and completes first; a small and a large voucher both waiting are claimed small first.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FairPostingTests
{
    private const int LargeLines = 12_000;
    private const int SmallLines = 10;
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);

    [Test]
    public async Task A_small_voucher_recorded_while_a_large_one_posts_completes_first()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("posting_fair_interleave");
        var settings = new Dictionary<string, string?> { ["Gateway:Posting:ChunkSize"] = "1000", ["Gateway:Posting:Connections"] = "2" };
        await using var gw = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"), settings);

        var large = await RecordAsync(gw, "large", LargeLines, "ZF2024920001", firstAccount: 1);
        string smallInbox = await WriteAsync(gw, "small", SmallLines, "ZF2024920002", firstAccount: 500_001);

        // The large voucher's first committed chunk holds the posting until the small voucher is recorded.
        using var smallRecorded = new ManualResetEventSlim();
        var recorder = Task.Run(async () =>
        {
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!await gw.ScalarAsync<bool>("select exists (select 1 from posting_chunks where voucher_id = @large)", new { large }))
            {
                if (DateTime.UtcNow > until) throw new TimeoutException("the large voucher posted no chunk within 60 s");
                await Task.Delay(20);
            }
            await TakeAllAsync(gw, smallInbox);
            smallRecorded.Set();
        });
        var progress = new BlockingProgress(smallRecorded);
        var outcome = await gw.Get<PostingStage>().RunAsync(progress, waitForOthers: false, CancellationToken.None);
        await recorder;
        long small = await gw.ScalarAsync<long>("select id from vouchers where voucher_no = 'ZF2024920002'");

        Assert.Multiple(async () =>
        {
            Assert.That(outcome.Vouchers, Is.EqualTo(new[] { small, large }), "the small voucher finished posting before the large one");
            Assert.That(await gw.ScalarAsync<string>("select string_agg(status, ',' order by id) from vouchers"), Is.EqualTo("COMPLETED,COMPLETED"));
            Assert.That(await gw.ScalarAsync<long>("select max(id) from journal where voucher_id = @small", new { small }),
                Is.LessThan(await gw.ScalarAsync<long>("select max(id) from journal where voucher_id = @large", new { large })),
                "the small voucher's last credit was written before the large voucher's last");
            Assert.That(await gw.ScalarAsync<long>("select count(*) from posting_chunks where voucher_id = @large and committed_at is not null", new { large }),
                Is.EqualTo(LargeLines / 1000));
            Assert.That(await gw.ScalarAsync<long>("select count(*) from journal where kind = 'P' and side = 'C'"), Is.EqualTo(LargeLines + SmallLines), "every line paid once");
        });
    }

    [Test]
    public async Task Waiting_vouchers_are_claimed_small_first_then_oldest_first()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("posting_fair_order");
        await using var gw = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"),
            new Dictionary<string, string?> { ["Gateway:Posting:ChunkSize"] = "1000" });

        long oldLarge = await RecordAsync(gw, "a", 3_000, "ZF2024930001", firstAccount: 1);
        gw.Clock.Now += TimeSpan.FromMinutes(1);
        long small = await RecordAsync(gw, "b", SmallLines, "ZF2024930002", firstAccount: 100_001);
        gw.Clock.Now += TimeSpan.FromMinutes(1);
        long newLarge = await RecordAsync(gw, "c", 2_000, "ZF2024930003", firstAccount: 200_001);

        var outcome = await gw.Get<PostingStage>().RunAsync(null, waitForOthers: false, CancellationToken.None);
        Assert.That(outcome.Vouchers, Is.EqualTo(new[] { small, oldLarge, newLarge }));
    }

    private static async Task<string> WriteAsync(GatewayHarness gw, string name, int lines, string voucherNo, long firstAccount)
    {
        var financeKey = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
        string inbox = Path.Combine(gw.Work, "in-" + name);
        var built = LargeVoucher.Write(inbox, Path.Combine(gw.Work, "data-" + name), lines, financeKey, voucherNo, accountMultiple: 1, firstAccount: firstAccount);
        await gw.Get<CatalogueImport>().ImportAsync(built.CataloguePath, CancellationToken.None);
        await gw.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);
        return inbox;
    }

    private static async Task<long> RecordAsync(GatewayHarness gw, string name, int lines, string voucherNo, long firstAccount)
    {
        await TakeAllAsync(gw, await WriteAsync(gw, name, lines, voucherNo, firstAccount));
        return await gw.ScalarAsync<long>("select id from vouchers where voucher_no = @voucherNo", new { voucherNo });
    }

    private static async Task TakeAllAsync(GatewayHarness gw, string inbox)
    {
        var box = new LocalInbox(inbox, NullLogger.Instance, TimeSpan.FromMinutes(30), TimeProvider.System);
        foreach (var set in box.FindCompleteSets())
        {
            var taken = await gw.Get<VoucherIntake>().TakeAsync(set, SampleFiles.FinancePublic, BusinessDate, CancellationToken.None);
            Assert.That(taken.Kind, Is.EqualTo(IntakeKind.Accepted), taken.Detail);
        }
    }

    /// <summary>Holds the poster after its first committed chunk until the small voucher is recorded (bounded: a hang fails the test).</summary>
    private sealed class BlockingProgress(ManualResetEventSlim release) : IProgress<PostingProgress>
    {
        public void Report(PostingProgress value)
        {
            if (!release.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("the small voucher was not recorded within 60 s");
        }
    }
}
