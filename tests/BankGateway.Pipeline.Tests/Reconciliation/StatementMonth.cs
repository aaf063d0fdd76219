using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Returns;

namespace BankGateway.Pipeline.Tests.Reconciliation;

/// <summary>
/// Two months of 独山县 (522726) on a real database, each step at its own moment of the test clock:
/// <list type="bullet">
/// <item>2024-08-30: ZF2024000401 pays 蒙春燕 and 吴正芬 their August 低保 and fails one line (F08, 100.00), cleared that day;
/// its return is due and executed on Monday 2024-09-02 (so August ends with it pending).</item>
/// <item>2024-09-27: ZF2024000124 (16 failures) and ZF2024000402 (蒙春燕's July 低保), cleared that day; the return of
/// ZF2024000124 executes on the adjusted working Sunday 2024-09-29, inside September.</item>
/// <item>2024-09-30: ZF2024000123, 125, 126 (GRAIN_FUND, one F08) and the re-issue ZF2024000301 (one F07), six rejected sets,
/// cleared that day; their returns execute on 2024-10-08, after the National Day holiday (pending at September's end).</item>
/// </list>
/// </summary>
internal sealed class StatementMonth : IAsyncDisposable
{
    public const string Adm = "522726";

    private StatementMonth(GatewayHarness gateway, string samples)
    {
        Gateway = gateway;
        Samples = samples;
    }

    public GatewayHarness Gateway { get; }
    public string Samples { get; }
    public string Outbox => Gateway.Outbox;
    public string Statements => Path.Combine(Gateway.Work, "statements");
    public static string BankPublicKey => SampleFiles.Key("bank_public.pem");

    // Three people of interface-samples/accounts.csv, and one account the bank does not hold.
    public const string Meng = "522726200406271567";
    public const string Wu = "522726198607112503";

    /// <summary>Paid on 2024-09-30 after that day's QS_: cleared by the QS_ of 2024-10-08.</summary>
    public const string LateVoucher = "ZF2024000403";

    public static async Task<StatementMonth> BuildAsync(string databaseName)
    {
        var server = await TestDatabase.GetSharedAsync();
        var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(databaseName), SampleFiles.Key("bank_private.pem"));
        string samples = SampleFiles.CopyTo(gateway.Work);
        await gateway.Get<CatalogueImport>().ImportAsync(Path.Combine(samples, "catalogue.csv"), CancellationToken.None);
        await gateway.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts.csv"), null, CancellationToken.None);
        var month = new StatementMonth(gateway, samples);
        var finance = Sm2PrivateKey.Load(SampleFiles.Key("finance_private.pem"));

        // 2024-08-30
        month.At(2024, 8, 30);
        string august = Path.Combine(gateway.Work, "in-0830");
        new VoucherBuilder("ZF2024000401",
            VoucherBuilder.Line(1, 0, "500.00", "2024-08", "蒙春燕", Meng, "6217995230439395736"),
            VoucherBuilder.Line(2, 0, "600.00", "2024-08", "吴正芬", Wu, "6217995223453840570"),
            VoucherBuilder.Line(3, 999_999, "100.00", "2024-08")).WriteTo(august, finance);
        await gateway.RunOnceAsync(august, SampleFiles.FinancePublic, new DateOnly(2024, 8, 30));
        await month.ClearAsync(2024, 8, 30);
        month.At(2024, 9, 2);
        await month.ReturnAsync(2024, 9, 2);

        // 2024-09-27
        month.At(2024, 9, 27);
        string friday = month.SampleSets("in-0927", "ZF2024000124");
        new VoucherBuilder("ZF2024000402", VoucherBuilder.Line(1, 0, "450.00", "2024-07", "蒙春燕", Meng, "6217995230439395736"))
            .WriteTo(friday, finance);
        await gateway.RunOnceAsync(friday, SampleFiles.FinancePublic, new DateOnly(2024, 9, 27));
        await month.ClearAsync(2024, 9, 27);
        month.At(2024, 9, 29);
        await month.ReturnAsync(2024, 9, 29);

        // 2024-09-30
        month.At(2024, 9, 30);
        // ZF2024000124 again: an identical re-delivery of Friday's set, acknowledged, never a second voucher.
        string monday = month.SampleSets("in-0930", "ZF2024000124", "ZF2024000123", "ZF2024000125", "ZF2024000126", "ZF2024000201", "ZF2024000202",
            "ZF2024000203", "ZF2024000205", "ZF2024000206", "ZF2024000207");
        await gateway.RunOnceAsync(monday, SampleFiles.FinancePublic, new DateOnly(2024, 9, 30));
        await gateway.Get<AccountMaster>().ImportAsync(Path.Combine(samples, "accounts-fix.csv"), null, CancellationToken.None);
        await gateway.RunOnceAsync(Path.Combine(samples, "inbox-reissue"), SampleFiles.FinancePublic, new DateOnly(2024, 9, 30));
        await month.ClearAsync(2024, 9, 30);
        // A late voucher: completed on 09-30 after that day's QS_ was written; the next QS_ (10-08) clears it (contract §13).
        string late = Path.Combine(gateway.Work, "in-0930-late");
        new VoucherBuilder(LateVoucher, VoucherBuilder.Line(1, 0, "80.00", "2024-05", "吴正芬", Wu, "6217995223453840570")).WriteTo(late, finance);
        await gateway.RunOnceAsync(late, SampleFiles.FinancePublic, new DateOnly(2024, 9, 30));
        month.At(2024, 10, 8);
        await month.ReturnAsync(2024, 10, 8);
        await month.ClearAsync(2024, 10, 8);
        return month;
    }

    /// <summary>Sets the test clock to 10:00 China time on that day.</summary>
    public void At(int year, int month, int day) => Gateway.Clock.Now = new DateTimeOffset(year, month, day, 2, 0, 0, TimeSpan.Zero);

    private Task ClearAsync(int y, int m, int d) =>
        Gateway.Get<ClearingService>().RunAsync(new DateOnly(y, m, d), Outbox, CancellationToken.None);

    private Task ReturnAsync(int y, int m, int d) =>
        Gateway.Get<ReturnService>().RunAsync(new DateOnly(y, m, d), Outbox, "test", CancellationToken.None);

    /// <summary>Copies the named sets of the sample inbox (voucher, .sig, list) with their arrival times.</summary>
    private string SampleSets(string name, params string[] voucherNos)
    {
        string target = Path.Combine(Gateway.Work, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(Samples, "inbox")))
        {
            if (!voucherNos.Any(v => Path.GetFileName(file).Contains(v, StringComparison.Ordinal))) continue;
            string to = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, to);
            File.SetLastWriteTimeUtc(to, File.GetLastWriteTimeUtc(file));
        }
        return target;
    }

    public string Out(string name) => Path.Combine(Outbox, name);

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}
