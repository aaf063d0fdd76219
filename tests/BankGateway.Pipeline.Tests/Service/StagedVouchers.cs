using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Vouchers;
using BankGateway.Worker.MasterData;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// Large signed vouchers paying distinct people, staged beside an empty Local inbox, with their people and
/// the catalogue already in the database, and the environment of a service channel that accepts them.
/// </summary>
internal sealed record StagedVouchers(string Inbox, string Outbox, string Staging, IReadOnlyList<LargeVoucher.Built> Built,
    Dictionary<string, string?> Environment)
{
    public static async Task<StagedVouchers> PrepareAsync(string connectionString, string work, int vouchers, int linesPerVoucher)
    {
        var finance = Sm2KeyGenerator.Generate();
        string financePub = Path.Combine(work, "finance_public.pem");
        File.WriteAllText(financePub, finance.PublicKey.ToPem());
        string staging = Path.Combine(work, "staging"), inbox = Path.Combine(work, "inbox"), outbox = Path.Combine(work, "outbox");
        var built = new List<LargeVoucher.Built>();
        for (int k = 0; k < vouchers; k++)
            built.Add(LargeVoucher.Write(staging, Path.Combine(work, $"data{k}"), linesPerVoucher, finance,
                voucherNo: $"ZF2024{900001 + k}", accountMultiple: 1, firstAccount: (long)k * linesPerVoucher + 1));
        await using (var gateway = await GatewayHarness.StartAsync(connectionString, SampleFiles.Key("bank_private.pem")))
        {
            await gateway.Get<CatalogueImport>().ImportAsync(built[0].CataloguePath, CancellationToken.None);
            foreach (var b in built) await gateway.Get<AccountMaster>().ImportAsync(b.AccountsPath, null, CancellationToken.None);
        }
        Directory.CreateDirectory(inbox);
        var env = ServiceNode.LocalChannel(inbox, outbox);
        env["Gateway__Channels__0__FinancePublicKeyFile"] = financePub;
        return new StagedVouchers(inbox, outbox, staging, built, env);
    }

    /// <summary>Moves every staged file into the inbox at once, as a bureau's upload would appear.</summary>
    public void DropIntoInbox()
    {
        foreach (var file in Directory.GetFiles(Staging))
            File.Move(file, Path.Combine(Inbox, Path.GetFileName(file)));
    }
}
