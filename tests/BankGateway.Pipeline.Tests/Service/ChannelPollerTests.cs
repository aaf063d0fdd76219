using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// D58: a node's own poll loop per channel. With an hour between polls, a set dropped after the first poll waits;
/// the dashboard's "retry now" (<see cref="ChannelPoller.PollNow"/>) polls at once and the set is taken.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ChannelPollerTests
{
    private const string Adm = LargeVoucher.AdmDivCode;

    [Test]
    public async Task Retry_now_polls_a_channel_at_once_instead_of_at_its_next_turn()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("channel_poller");
        await using var gateway = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem"));
        string inbox = Path.Combine(gateway.Work, "inbox"), outbox = Path.Combine(gateway.Work, "outbox-channel");
        Directory.CreateDirectory(inbox);
        Directory.CreateDirectory(outbox);
        var service = ServiceSettings.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Channels:0:AdmDivCode"] = Adm,
            ["Gateway:Channels:0:Kind"] = "Local",
            ["Gateway:Channels:0:Inbox"] = inbox,
            ["Gateway:Channels:0:Outbox"] = outbox,
            ["Gateway:Channels:0:FinancePublicKeyFile"] = SampleFiles.Key("finance_public.pem"),
            ["Gateway:Channels:0:PollSeconds"] = "3600",
        }).Build());
        using var registry = ChannelRegistry.Build(service.Channels, gateway.Services);
        var poll = new ChannelPoll(registry, gateway.Get<IntakeStage>(), gateway.Get<ChannelLock>(), new ChannelCircuits(TimeProvider.System),
            gateway.Get<GatewayClock>(), NullLogger<ChannelPoll>.Instance);
        using var poller = new ChannelPoller(service, poll, NullLogger<ChannelPoller>.Instance);
        await poller.StartAsync(CancellationToken.None);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1)); // the first poll, at start, finds the inbox empty
            var built = LargeVoucher.Write(Path.Combine(gateway.Work, "drop"), Path.Combine(gateway.Work, "data"), 10,
                Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem")), "ZF2024930001");
            await gateway.Get<CatalogueImport>().ImportAsync(built.CataloguePath, CancellationToken.None);
            await gateway.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);
            foreach (var file in Directory.GetFiles(Path.Combine(gateway.Work, "drop")))
                File.Move(file, Path.Combine(inbox, Path.GetFileName(file)));

            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.That(await Taken(), Is.Zero, "an hour between polls: the set waits");
            Assert.That(poller.PollNow("999999"), Is.False, "no such channel on this node");

            // A local inbox takes a file once it is unchanged since the previous pass: two retries take it.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await Taken() == 0 && DateTime.UtcNow < deadline)
            {
                Assert.That(poller.PollNow(Adm), Is.True);
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
            Assert.That(await Taken(), Is.EqualTo(1), "retry now took the set without waiting for the hour");
        }
        finally
        {
            await poller.StopAsync(CancellationToken.None);
        }

        Task<long> Taken() => gateway.ScalarAsync<long>("select count(*) from vouchers where voucher_no = 'ZF2024930001'");
    }
}
