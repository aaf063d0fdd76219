using BankGateway.Files.Signing;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// Fairness at intake (D61) on a real PostgreSQL: while the process's only take slot is held (as by a bureau's large
/// take), another bureau's 20-line voucher is recorded at once, and a 5,000-line one waits until the slot is free.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FairIntakeTests
{
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);

    [Test]
    public async Task A_small_set_is_taken_while_the_only_take_slot_is_held_and_a_large_one_waits_for_it()
    {
        var server = await TestDatabase.GetSharedAsync();
        await using var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"),
            new Dictionary<string, string?> { ["Gateway:Intake:Concurrency"] = "1" });
        var finance = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
        string largeInbox = Path.Combine(gateway.Work, "large"), smallInbox = Path.Combine(gateway.Work, "small");
        var large = LargeVoucher.Write(largeInbox, Path.Combine(gateway.Work, "large-data"), 5_000, finance, "ZF2024980001", accountMultiple: 1,
            admDivCode: "520001", payAcctNo: "2401009952000145");
        var small = LargeVoucher.Write(smallInbox, Path.Combine(gateway.Work, "small-data"), 20, finance, "ZF2024980002", accountMultiple: 1,
            firstAccount: 5_001, admDivCode: "520002", payAcctNo: "2401009952000245");
        Assert.That(new FileInfo(small.DetailPath).Length, Is.LessThanOrEqualTo(IntakeStage.LightTakeBytes));
        Assert.That(new FileInfo(large.DetailPath).Length, Is.GreaterThan(IntakeStage.LightTakeBytes));
        await gateway.Get<CatalogueImport>().ImportAsync(large.CataloguePath, CancellationToken.None);

        var stage = gateway.Get<IntakeStage>();
        Task<RunReport> Take(string inbox) => Task.Run(async () =>
        {
            var report = new RunReport(BusinessDate);
            await stage.RunAsync(inbox, _ => SampleFiles.FinancePublic, BusinessDate, false, report, CancellationToken.None);
            return report;
        });

        Task<RunReport> largeTake;
        using (await stage.HoldTakeSlotAsync(CancellationToken.None))
        {
            largeTake = Take(largeInbox);
            var smallReport = await Take(smallInbox).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.That(smallReport.Intake.Single().Kind, Is.EqualTo(IntakeKind.Accepted), "the small set did not wait for the held slot");
            await Task.Delay(500);
            Assert.That(largeTake.IsCompleted, Is.False, "the large set waits for the slot");
            Assert.That(await gateway.ScalarAsync<long>("select count(*) from vouchers where voucher_no = 'ZF2024980001'"), Is.Zero);
        }
        var largeReport = await largeTake.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(largeReport.Intake.Single().Kind, Is.EqualTo(IntakeKind.Accepted), "taken once the slot was free");
    }
}
