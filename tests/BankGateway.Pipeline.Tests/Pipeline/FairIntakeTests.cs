using BankGateway.Files.Signing;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// Fairness at intake (D61) on a real PostgreSQL: with one take slot, held by a bureau's 300,000-line list, another
/// bureau's 20-line voucher polled meanwhile is recorded at once instead of waiting for the slot.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FairIntakeTests
{
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);

    [Test]
    public async Task A_small_set_is_taken_while_a_large_take_holds_the_only_slot()
    {
        var server = await TestDatabase.GetSharedAsync();
        await using var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"),
            new Dictionary<string, string?> { ["Gateway:Intake:Concurrency"] = "1" });
        var finance = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
        string largeInbox = Path.Combine(gateway.Work, "large"), smallInbox = Path.Combine(gateway.Work, "small");
        var large = LargeVoucher.Write(largeInbox, Path.Combine(gateway.Work, "large-data"), 300_000, finance, "ZF2024980001", accountMultiple: 1,
            admDivCode: "520001", payAcctNo: "2401009952000145");
        var small = LargeVoucher.Write(smallInbox, Path.Combine(gateway.Work, "small-data"), 20, finance, "ZF2024980002", accountMultiple: 1,
            firstAccount: 300_001, admDivCode: "520002", payAcctNo: "2401009952000245");
        Assert.That(new FileInfo(small.DetailPath).Length, Is.LessThanOrEqualTo(IntakeStage.LightTakeBytes));
        Assert.That(new FileInfo(large.DetailPath).Length, Is.GreaterThan(IntakeStage.LightTakeBytes));
        await gateway.Get<CatalogueImport>().ImportAsync(large.CataloguePath, CancellationToken.None);

        var stage = gateway.Get<IntakeStage>();
        var largeReport = new RunReport(BusinessDate);
        var largeTake = Task.Run(() => stage.RunAsync(largeInbox, _ => SampleFiles.FinancePublic, BusinessDate, false, largeReport, CancellationToken.None));
        // The large take holds the slot for seconds (SM3 of 75 MB, parse, COPY of 300,000 lines); start the small one inside it.
        await Task.Delay(300);
        Assert.That(largeTake.IsCompleted, Is.False, "the large take is still running");
        var smallReport = new RunReport(BusinessDate);
        await stage.RunAsync(smallInbox, _ => SampleFiles.FinancePublic, BusinessDate, false, smallReport, CancellationToken.None);

        Assert.That(largeTake.IsCompleted, Is.False, "the small set was recorded while the large take still held the only slot");
        Assert.That(smallReport.Intake.Single().Kind, Is.EqualTo(IntakeKind.Accepted));
        await largeTake;
        Assert.That(largeReport.Intake.Single().Kind, Is.EqualTo(IntakeKind.Accepted));
    }
}
