using BankGateway.Domain.Statements;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Notices;
using BankGateway.Worker.Reconciliation;
using BankGateway.Worker.Returns;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Reconciliation;

/// <summary>
/// The service's statements job over <see cref="StatementMonth"/>: nothing on a day off; on the first working day after
/// the National Day holiday (2024-10-08) it writes August's and September's DZ_ and Q3's MB_ into the channel outbox
/// (catching up August, which it missed), once; on the first working day of 2025 it writes the year's DZ_.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class StatementsJobTests
{
    private StatementMonth _month = null!;
    private StatementsJob _job = null!;
    private string _channelOutbox = null!;

    [OneTimeSetUp]
    public async Task Build()
    {
        _month = await StatementMonth.BuildAsync("statements_job");
        var gateway = _month.Gateway;
        _channelOutbox = Path.Combine(gateway.Work, "channel-outbox");
        var settings = new ChannelSettings
        {
            AdmDivCode = StatementMonth.Adm, Kind = ChannelSettings.KindLocal, Inbox = Path.Combine(gateway.Work, "channel-inbox"), Outbox = _channelOutbox,
            FinancePublicKeyFile = SampleFiles.Key("finance_public.pem"),
        };
        Directory.CreateDirectory(settings.Inbox);
        Directory.CreateDirectory(_channelOutbox);
        var channels = new ChannelRegistry([new ChannelRegistry.Entry(new LocalChannel(settings), settings, SampleFiles.FinancePublic)]);
        _job = new StatementsJob(gateway.Get<ReconciliationStatements>(), gateway.Get<BeneficiaryStatements>(), gateway.Get<CalendarStore>(),
            gateway.Get<GatewayClock>(), channels, gateway.Get<BankGateway.Worker.Delivery.DeliveryStage>(), gateway.Db, gateway.Get<ILogger<StatementsJob>>());
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _month.DisposeAsync();

    [Test]
    public async Task Writes_what_is_due_on_working_days_catching_up_missed_periods_exactly_once()
    {
        _month.At(2024, 10, 1); // National Day
        Assert.That(await _job.RunDueAsync(CancellationToken.None), Is.Null);

        _month.At(2024, 10, 8);
        Assert.That(await _job.DueAsync(new DateOnly(2024, 10, 8), CancellationToken.None),
            Is.EqualTo(new[] { StatementPeriod.Month(2024, 8), StatementPeriod.Month(2024, 9), StatementPeriod.Quarter(2024, 3) }));
        var written = await _job.RunDueAsync(CancellationToken.None);
        Assert.That(written, Is.EqualTo(new[] { "DZ_522726_202408.xml", "DZ_522726_202409.xml", "MB_522726_2024Q3.csv" }));
        foreach (var name in written!)
        {
            Assert.That(File.Exists(Path.Combine(_channelOutbox, name)), Is.True, name);
            Assert.That(OpensslCheck.Verify(Path.Combine(_channelOutbox, name), StatementMonth.BankPublicKey).Ok, Is.True, name);
        }
        Assert.That(await _job.RunDueAsync(CancellationToken.None), Is.Empty, "written once");

        _month.At(2025, 1, 2);
        // October's only activity is the QS_ of 10-08 that cleared the late voucher: it gets its statement too.
        Assert.That(await _job.RunDueAsync(CancellationToken.None), Is.EqualTo(new[] { "DZ_522726_202410.xml", "DZ_522726_2024.xml" }));
        Assert.That(await _job.RunDueAsync(CancellationToken.None), Is.Empty);
    }
}
