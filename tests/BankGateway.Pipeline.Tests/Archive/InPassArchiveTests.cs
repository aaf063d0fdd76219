using BankGateway.Domain.Codes;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Pipeline.Tests.Reconciliation;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Archive;
using BankGateway.Worker.Delivery;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Archive;

/// <summary>
/// Archive copies written in the same pass as their files (D60), on a real PostgreSQL with real files: an answer of
/// several stored parts is signed (checked by stock openssl), stored, restored and archived byte for byte without
/// being read back; a detail file is archived from the very read that recorded it, so a list edited in the inbox
/// afterwards does not change what is kept; a set refused before that read is copied from its inbox as before; and an
/// archive that cannot be written is an alarm, never a missing answer.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class InPassArchiveTests
{
    private static readonly DateOnly BusinessDate = new(2024, 9, 30);
    private const int Lines = 20_000; // RS_ of about 2.5 MB: three stored parts, the last one partial

    private GatewayHarness _gateway = null!;
    private Sm2PrivateKey _finance = null!;
    private long _nextAccount = 1;

    private sealed record Kept(string Path, string Sm3, long SizeBytes);

    [OneTimeSetUp]
    public async Task Start()
    {
        var server = await TestDatabase.GetSharedAsync();
        _gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"));
        _finance = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));
    }

    [OneTimeTearDown]
    public async Task Stop() => await _gateway.DisposeAsync();

    /// <summary>A signed set of <paramref name="lines"/> lines paying new people, with its accounts and catalogue imported.</summary>
    private async Task<LargeVoucher.Built> WriteSetAsync(string inbox, string voucherNo, int lines)
    {
        var built = LargeVoucher.Write(Path.Combine(_gateway.Work, inbox), Path.Combine(_gateway.Work, inbox + "-data"), lines, _finance, voucherNo,
            accountMultiple: 1, firstAccount: _nextAccount);
        _nextAccount += lines;
        await _gateway.Get<CatalogueImport>().ImportAsync(built.CataloguePath, CancellationToken.None);
        await _gateway.Get<AccountMaster>().ImportAsync(built.AccountsPath, null, CancellationToken.None);
        return built;
    }

    private VoucherSet SetIn(string inbox) =>
        new LocalInbox(Path.Combine(_gateway.Work, inbox), NullLogger.Instance, TimeSpan.FromMinutes(30), TimeProvider.System).FindCompleteSets().Single();

    private async Task<Kept?> KeptAsync(string kind, string fileName) =>
        (await _gateway.QueryAsync<Kept>("select path, sm3, size_bytes from archived_files where kind = @kind and file_name = @fileName",
            new { kind, fileName })).SingleOrDefault();

    [Test]
    public async Task A_large_answer_is_signed_stored_restored_and_archived_byte_for_byte()
    {
        var built = await WriteSetAsync("large", "ZF2024970001", Lines);
        await _gateway.RunOnceAsync(Path.Combine(_gateway.Work, "large"), SampleFiles.FinancePublic, BusinessDate);

        string name = FileNames.Result(built.Voucher.AdmDivCode, built.Voucher.VoucherNo);
        string result = Path.Combine(_gateway.Outbox, name);
        long size = new FileInfo(result).Length;
        Assert.That(size, Is.GreaterThan(2 * OutboundStore.PartBytes), "the answer spans several parts");
        Assert.That(await _gateway.ScalarAsync<long>("select count(*) from outbound_file_parts where file_name = @name", new { name }),
            Is.EqualTo((size + OutboundStore.PartBytes - 1) / OutboundStore.PartBytes));
        var (ok, output) = OpensslCheck.Verify(result, StatementMonth.BankPublicKey);
        Assert.That(ok, Is.True, "stock openssl verifies the signature made part by part: " + output);

        string sm3 = Sm3.HashFileHex(result);
        Assert.That(await _gateway.ScalarAsync<string>("select sm3 from outbound_files where file_name = @name", new { name }), Is.EqualTo(sm3));
        string restored = Path.Combine(_gateway.Work, "restored", name);
        Directory.CreateDirectory(Path.GetDirectoryName(restored)!);
        Assert.That(await OutboundStore.RestoreAsync(_gateway.Db, name, sm3, restored, CancellationToken.None), Is.True);
        Assert.That(File.ReadAllBytes(restored), Is.EqualTo(File.ReadAllBytes(result)), "the stored parts are the file, the last one cut to its length");

        var kept = await KeptAsync(ArchiveStore.Outbound, name);
        Assert.That(kept, Is.Not.Null);
        Assert.That(kept!.Sm3, Is.EqualTo(sm3));
        Assert.That(File.ReadAllBytes(Path.Combine(_gateway.Archive, kept.Path)), Is.EqualTo(File.ReadAllBytes(result)));
        Assert.That((await KeptAsync(ArchiveStore.Inbound, Path.GetFileName(built.DetailPath)))!.Sm3, Is.EqualTo(built.Voucher.DetailFileSm3));
        Assert.That(Directory.GetFiles(_gateway.Archive, "*.tmp", SearchOption.AllDirectories), Is.Empty, "no temporary copy left behind");
    }

    [Test]
    public async Task The_detail_file_is_archived_as_intake_read_it_even_if_the_inbox_copy_changes_afterwards()
    {
        var built = await WriteSetAsync("edited-after", "ZF2024970002", 500);
        var set = SetIn("edited-after");
        var archive = _gateway.Get<ArchiveStore>();
        using var copy = archive.BeginDetailCopy(set);
        var outcome = await _gateway.Get<VoucherIntake>().TakeAsync(set, SampleFiles.FinancePublic, BusinessDate, CancellationToken.None, copy);
        Assert.That(outcome.Kind, Is.EqualTo(IntakeKind.Accepted));
        Assert.That(copy!.Sm3, Is.EqualTo(built.Voucher.DetailFileSm3), "the copy is complete once the voucher is recorded");

        byte[] parsed = File.ReadAllBytes(built.DetailPath);
        File.AppendAllText(built.DetailPath, "edited in the inbox after intake\n");
        await archive.KeepInboundAsync(set, copy, CancellationToken.None);

        var kept = await KeptAsync(ArchiveStore.Inbound, Path.GetFileName(built.DetailPath));
        Assert.That(kept!.Sm3, Is.EqualTo(Sm3.HashHex(parsed)));
        Assert.That(File.ReadAllBytes(Path.Combine(_gateway.Archive, kept.Path)), Is.EqualTo(parsed), "what was parsed and recorded is what is kept");
        Assert.That(await KeptAsync(ArchiveStore.Inbound, Path.GetFileName(set.VoucherPath)), Is.Not.Null, "the voucher and its .sig are kept as before");
        Assert.That(await KeptAsync(ArchiveStore.Inbound, Path.GetFileName(set.SigPath)), Is.Not.Null);
    }

    [Test]
    public async Task A_set_refused_before_its_list_is_read_has_the_list_copied_from_its_inbox()
    {
        var built = await WriteSetAsync("refused", "ZF2024970003", 50);
        File.AppendAllText(built.DetailPath, "9999,not signed\n"); // its SM3 no longer matches the voucher: R02
        var set = SetIn("refused");
        var archive = _gateway.Get<ArchiveStore>();
        using var copy = archive.BeginDetailCopy(set);
        var outcome = await _gateway.Get<VoucherIntake>().TakeAsync(set, SampleFiles.FinancePublic, BusinessDate, CancellationToken.None, copy);
        Assert.That((outcome.Kind, outcome.Code), Is.EqualTo((IntakeKind.Rejected, RejectCode.R02)));
        Assert.That(copy!.Sm3, Is.Null, "nothing was recorded, so the copy is not complete");
        await archive.KeepInboundAsync(set, copy, CancellationToken.None);

        var kept = await KeptAsync(ArchiveStore.Inbound, Path.GetFileName(built.DetailPath));
        Assert.That(kept!.Sm3, Is.EqualTo(Sm3.HashFileHex(built.DetailPath)), "the list as found in the inbox");
        Assert.That(Directory.GetFiles(_gateway.Archive, "*.tmp", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public async Task An_archive_that_cannot_be_written_is_an_alarm_and_never_a_missing_answer()
    {
        // A file where November's outbound folder would go: creating the folder fails, whoever runs the test (root too).
        var november = new DateOnly(2024, 11, 29);
        var before = _gateway.Clock.Now;
        _gateway.Clock.Now = new DateTimeOffset(november.ToDateTime(new TimeOnly(2, 0)), TimeSpan.Zero);
        string blocked = Path.Combine(_gateway.Archive, ArchiveStore.Outbound, "2024-11");
        Directory.CreateDirectory(Path.GetDirectoryName(blocked)!);
        await File.WriteAllTextAsync(blocked, "not a folder");
        try
        {
            var built = await WriteSetAsync("unarchivable", "ZF2024970004", 3_000);
            double failures = ArchiveMetrics.KeepFailures.Value;
            await _gateway.RunOnceAsync(Path.Combine(_gateway.Work, "unarchivable"), SampleFiles.FinancePublic, november);

            string name = FileNames.Result(built.Voucher.AdmDivCode, built.Voucher.VoucherNo);
            string result = Path.Combine(_gateway.Outbox, name);
            Assert.That(File.Exists(result) && File.Exists(Path.Combine(_gateway.Outbox, FileNames.Receipt(built.Voucher.AdmDivCode, built.Voucher.VoucherNo))),
                Is.True, "RS_ and HD_ were answered");
            Assert.That(OpensslCheck.Verify(result, StatementMonth.BankPublicKey).Ok, Is.True);
            Assert.That(await _gateway.ScalarAsync<string>("select sm3 from outbound_files where file_name = @name", new { name }), Is.EqualTo(Sm3.HashFileHex(result)));
            Assert.That(await KeptAsync(ArchiveStore.Outbound, name), Is.Null);
            Assert.That(ArchiveMetrics.KeepFailures.Value - failures, Is.GreaterThanOrEqualTo(4), "RS_, HD_ and their .sig files each counted");
            Assert.That(await KeptAsync(ArchiveStore.Inbound, Path.GetFileName(built.DetailPath)), Is.Not.Null, "the inbound folder was writable");
        }
        finally
        {
            File.Delete(blocked);
            _gateway.Clock.Now = before;
        }
    }
}
