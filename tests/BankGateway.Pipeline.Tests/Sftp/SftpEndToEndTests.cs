using BankGateway.Worker.Hosting;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Delivery;
using BankGateway.Worker.Intake;
using BankGateway.Worker.Posting;
using BankGateway.Worker.Results;
using BankGateway.Worker.Channels;
using BankGateway.Worker.MasterData;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>
/// A bureau uploads a voucher with the stock sftp client; the gateway fetches it, runs the real pipeline on
/// a real PostgreSQL, acknowledges the set and delivers signed answers back to the bureau's outbox.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SftpEndToEndTests
{
    [Test]
    public async Task Voucher_uploaded_by_sftp_is_answered_with_signed_HD_and_RS_in_the_remote_outbox()
    {
        await using var bed = await SftpTestBed.StartAsync();
        var server = await TestDatabase.GetSharedAsync();
        await using var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"));
        await gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(bed.Samples, "catalogue.csv"), CancellationToken.None);
        await gateway.Get<AccountMaster>().ImportAsync(Path.Combine(bed.Samples, "accounts.csv"), null, CancellationToken.None);
        var set = bed.SampleSet();
        await bed.UploadAsync(set);
        using var channel = bed.Channel(db: gateway.Db);

        // Two polls, each stage once as the service runs them.
        RunReport? report = null;
        for (int poll = 0; poll < 2; poll++)
        {
            report = new RunReport(new DateOnly(2024, 9, 30));
            await channel.FetchAsync(CancellationToken.None);
            await gateway.Get<IntakeStage>().RunAsync(channel.LocalInbox, _ => SampleFiles.FinancePublic, report.BusinessDate, false, report, CancellationToken.None);
            await channel.AcknowledgeTakenAsync(CancellationToken.None);
            await gateway.Get<PostingStage>().RunAsync(null, true, CancellationToken.None);
            await gateway.Get<ResultsStage>().RunAsync(null, _ => channel.LocalOutbox, CancellationToken.None);
            await gateway.Get<DeliveryStage>().DeliverHeldAsync(channel, CancellationToken.None);
        }

        Assert.That(report!.Intake, Has.Count.EqualTo(1), "taken on the second poll");
        Assert.That(SftpTestBed.Names(bed.RemoteInbox), Is.Empty);
        Assert.That(SftpTestBed.Names(Path.Combine(bed.RemoteInbox, SftpChannel.ProcessedFolder)), Is.EqualTo(set.Select(Path.GetFileName).Order(StringComparer.Ordinal)));
        var bankKey = Sm2PublicKey.Load(SampleFiles.Key("bank_public.pem"));
        foreach (var name in new[] { "HD_522726_ZF2024000123.xml", "RS_522726_ZF2024000123.csv" })
        {
            string remote = Path.Combine(bed.RemoteOutbox, name);
            Assert.That(File.Exists(remote), name);
            Assert.That(SignatureFile.Verify(remote, bankKey).Status, Is.EqualTo(SignatureStatus.Valid), name + ".sig verifies with the bank's public key");
            Assert.That(File.ReadAllBytes(remote), Is.EqualTo(File.ReadAllBytes(Path.Combine(channel.LocalOutbox, name))));
        }
        Assert.That(SftpTestBed.Names(bed.RemoteOutbox).Where(n => n.StartsWith('.')), Is.Empty);
        var rows = SampleFiles.Rows(Path.Combine(bed.RemoteOutbox, "RS_522726_ZF2024000123.csv"));
        var expected = SampleFiles.Rows(Path.Combine(bed.Samples, "expected", "outcomes.csv")).Count(r => r[0] == "ZF2024000123");
        Assert.That(rows, Has.Count.EqualTo(expected), "one result row per input line");
    }
}
