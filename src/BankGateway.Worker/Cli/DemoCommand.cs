using System.CommandLine;
using BankGateway.Files.Signing;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Returns;
using BankGateway.Worker.Samples;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace BankGateway.Worker.Cli;

/// <summary>
/// The README's first command: the whole pipeline on generated sample files with the embedded
/// database. It makes its own demo keys explicitly (never the production bank key), under
/// BANKGATEWAY_HOME/demo, and says where everything went and how to check a signature with OpenSSL.
/// </summary>
internal static class DemoCommand
{
    public static Command Build()
    {
        var command = new Command("demo", "runs the whole pipeline on generated sample files (独山县 2024) with the embedded database");
        command.SetAction((_, ct) => GatewayCommands.Guard(() => RunAsync(ct)));
        return command;
    }

    private static async Task<int> RunAsync(CancellationToken ct)
    {
        var demo = Path.Combine(GatewayHome.Resolve().Root, "demo");
        string outbox = Path.Combine(demo, "outbox");
        var bankKeys = DemoKeyPair(Path.Combine(demo, "keys", "bank"), "bank (signs every outbound file)");
        var financeKeys = DemoKeyPair(Path.Combine(demo, "keys", "finance"), "finance bureau (signs the sample vouchers)");
        var finance = Sm2PrivateKey.Load(financeKeys.PrivateKeyPath);
        var samples = SampleSetGenerator.Generate(Path.Combine(demo, "samples"), finance, bankKey: Sm2PrivateKey.Load(bankKeys.PrivateKeyPath));
        AnsiConsole.MarkupLine($"demo: sample files for 独山县 (522726) generated in {Markup.Escape(samples.OutDir)}");

        await using var services = await CommandContext.StartAsync(bankKeys.PrivateKeyPath, ct);
        await services.GetRequiredService<CatalogueImport>().ImportAsync(samples.CatalogueCsv, ct);
        await services.GetRequiredService<AccountMaster>().ImportAsync(samples.AccountsCsv, null, ct);
        var pipeline = services.GetRequiredService<LocalPipeline>();
        var financeKey = finance.PublicKey;
        foreach (var (step, inbox) in new[]
        {
            ("1. the day's vouchers (paid, every failure code, GB18030, rejected sets)", samples.Inbox),
            ("2. an identical re-delivery (acknowledged again, never re-posted)", samples.InboxIdentical),
            ("3. the same voucher number with other content (R04)", samples.InboxRedelivery),
        })
        {
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(step)}[/]");
            var report = await Progress.Posting(p => pipeline.RunOnceAsync(inbox, outbox, _ => financeKey, samples.BusinessDate, p, ct));
            await RunSummary.PrintAsync(services, report, outbox, ct);
        }
        AnsiConsole.MarkupLine("[bold]4. the department fixes an account and re-issues (补发) two failed lines[/]");
        await services.GetRequiredService<AccountMaster>().ImportAsync(samples.AccountsFixCsv, null, ct);
        var reissue = await pipeline.RunOnceAsync(samples.InboxReissue, outbox, _ => financeKey, samples.BusinessDate, null, ct);
        await RunSummary.PrintAsync(services, reissue, outbox, ct);

        AnsiConsole.MarkupLine($"[bold]5. returns on the next working day, {samples.ReturnDate:yyyy-MM-dd} (after the National Day holiday)[/]");
        var returns = await services.GetRequiredService<ReturnService>().RunAsync(samples.ReturnDate, outbox, "demo", ct);
        foreach (var r in returns) AnsiConsole.MarkupLine($"  {Markup.Escape(Path.GetFileName(r.NoticePath))}: {r.Count} line(s), {r.Amount.ToDisplayString()} yuan");
        AnsiConsole.MarkupLine($"[bold]6. clearing request for {samples.BusinessDate:yyyy-MM-dd}[/]");
        foreach (var q in await services.GetRequiredService<ClearingService>().RunAsync(samples.BusinessDate, outbox, ct))
            AnsiConsole.MarkupLine($"  {Markup.Escape(Path.GetFileName(q.Path))}: {q.VoucherCount} voucher(s), {q.Total.ToDisplayString()} yuan");

        string example = Path.Combine(outbox, "HD_522726_ZF2024000124.xml");
        AnsiConsole.WriteLine();
        AnsiConsole.MarkupLine($"Outbound files (each with its .sig): [green]{Markup.Escape(outbox)}[/]");
        AnsiConsole.MarkupLine("Check a signature with stock OpenSSL 3:");
        Console.WriteLine($"  base64 -d {example}.sig > /tmp/hd.der && openssl dgst -sm3 -verify {bankKeys.PublicKeyPath} -sigopt distid:1234567812345678 -signature /tmp/hd.der {example}");
        return ExitCodes.Success;
    }

    private static KeyPairFiles DemoKeyPair(string dir, string what)
    {
        var files = new KeyPairFiles(Path.Combine(dir, KeyFiles.PrivateKeyFileName), Path.Combine(dir, KeyFiles.PublicKeyFileName));
        if (File.Exists(files.PrivateKeyPath)) return files;
        files = KeyFiles.WriteKeyPair(dir);
        AnsiConsole.MarkupLine($"demo: made a demo key pair for the {Markup.Escape(what)} in {Markup.Escape(dir)}");
        return files;
    }
}
