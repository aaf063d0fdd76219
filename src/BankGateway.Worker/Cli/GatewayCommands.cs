using System.CommandLine;
using System.Globalization;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Returns;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace BankGateway.Worker.Cli;

/// <summary>The command line of contract §10, one method per command. With no command the worker runs as the service.</summary>
internal static class GatewayCommands
{
    public static RootCommand Build(Func<CancellationToken, Task<int>> runService)
    {
        var root = new RootCommand("BankGateway: pays 一卡通 subsidy vouchers from finance bureaus exactly once. With no command it runs as the service.");
        root.SetAction((_, ct) => runService(ct));
        root.Subcommands.Add(Accounts());
        root.Subcommands.Add(Import("catalogue", "the year's subsidy catalogue (补贴政策清单)", ImportCatalogueAsync));
        root.Subcommands.Add(Import("calendar", "working-day calendar data (cn-calendar.json shape)", ImportCalendarAsync));
        root.Subcommands.Add(RunOnce());
        root.Subcommands.Add(DatedRun("returns", "executes every due return not yet executed and writes its TH_ notice", RunReturnsAsync));
        root.Subcommands.Add(DatedRun("clearing", "writes the day's QS_ clearing requests", RunClearingAsync));
        root.Subcommands.Add(Verify());
        root.Subcommands.Add(Keygen());
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(UsersCommand.Build());
        root.Subcommands.Add(QuarantineCommand.Build());
        root.Subcommands.Add(NoticesCommand.Build());
        root.Subcommands.Add(StatementsCommand.Build());
        root.Subcommands.Add(ArchiveCommand.Build());
        foreach (var command in SupervisionCommands.Build()) root.Subcommands.Add(command);
        return root;
    }

    internal static Option<string> BankKeyOption() => new("--bank-key") { Description = "the bank's SM2 private key (PEM); default Gateway:BankKeyFile" };

    private static Command Accounts()
    {
        var accounts = new Command("accounts", "the bank's account master");
        var importFile = new Argument<string>("file") { Description = "账号,户名,证件号码,账户状态,余额 CSV" };
        var import = new Command("import", "imports the account master (streams through COPY)") { importFile };
        import.SetAction((p, ct) => Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            var result = await Progress.Counting("accounts import", (progress) =>
                services.GetRequiredService<AccountMaster>().ImportAsync(p.GetValue(importFile)!, progress, ct));
            AnsiConsole.MarkupLine($"accounts import: [green]{result.Rows:N0}[/] rows ({result.Inserted:N0} new, {result.Updated:N0} updated)");
            return ExitCodes.Success;
        }));
        var exportFile = new Argument<string>("file") { Description = "output CSV" };
        var export = new Command("export", "writes every account with its current balance") { exportFile };
        export.SetAction((p, ct) => Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            long rows = await services.GetRequiredService<AccountMaster>().ExportAsync(p.GetValue(exportFile)!, ct);
            AnsiConsole.MarkupLine($"accounts export: [green]{rows:N0}[/] accounts written to {Markup.Escape(p.GetValue(exportFile)!)}");
            return ExitCodes.Success;
        }));
        accounts.Subcommands.Add(import);
        accounts.Subcommands.Add(export);
        return accounts;
    }

    private static Command Import(string name, string what, Func<IServiceProvider, string, CancellationToken, Task<string>> run)
    {
        var command = new Command(name, what);
        var file = new Argument<string>("file");
        var import = new Command("import", $"imports {what}") { file };
        import.SetAction((p, ct) => Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            AnsiConsole.MarkupLine(Markup.Escape(await run(services, p.GetValue(file)!, ct)));
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(import);
        return command;
    }

    private static async Task<string> ImportCatalogueAsync(IServiceProvider services, string file, CancellationToken ct)
    {
        var (entries, years) = await services.GetRequiredService<CatalogueImport>().ImportAsync(file, ct);
        return $"catalogue import: {entries} entries for {string.Join(", ", years)}";
    }

    private static async Task<string> ImportCalendarAsync(IServiceProvider services, string file, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        var years = await services.GetRequiredService<CalendarStore>().ImportAsync(CalendarJson.Read(stream, Path.GetFileName(file)), ct);
        return $"calendar import: years {string.Join(", ", years)}";
    }

    private static Command RunOnce()
    {
        var inbox = new Option<string>("--inbox") { Description = "local inbox folder", Required = true };
        var outbox = new Option<string>("--outbox") { Description = "local outbox folder", Required = true };
        var financePub = new Option<string>("--finance-pub") { Description = "the finance bureau's SM2 public key (PEM); default: the channel's FinancePublicKeyFile" };
        var bankKey = BankKeyOption();
        var businessDate = DateOption("--business-date", "processing date (back-office reruns); default today in China time", required: false);
        var command = new Command("run-once", "processes every complete voucher set in a local inbox, writes all outbound files, and exits")
            { inbox, outbox, financePub, bankKey, businessDate };
        command.SetAction((p, ct) => Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(p.GetValue(bankKey), ct);
            _ = services.GetRequiredService<Delivery.BankKey>(); // fail before taking anything when the key is missing
            var financeKeys = FinanceKeys.Create(services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>(), p.GetValue(financePub));
            var date = p.GetValue(businessDate) ?? services.GetRequiredService<GatewayClock>().Today;
            var report = await Progress.Posting(progress => services.GetRequiredService<LocalPipeline>()
                .RunOnceAsync(p.GetValue(inbox)!, p.GetValue(outbox)!, financeKeys.For, date, progress, ct));
            await RunSummary.PrintAsync(services, report, p.GetValue(outbox)!, ct);
            // Contract §12: everything else was finished; 1 only when something could not be taken or stayed quarantined.
            return report.Problems.Count == 0 && report.Quarantined.Count == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }

    private static Command DatedRun(string name, string what, Func<IServiceProvider, DateOnly, string, CancellationToken, Task<int>> run)
    {
        var date = DateOption("--date", "business date yyyy-MM-dd", required: true);
        var outbox = new Option<string>("--outbox") { Description = "outbox folder", Required = true };
        var bankKey = BankKeyOption();
        var command = new Command(name, what);
        var runCommand = new Command("run", what) { date, outbox, bankKey };
        runCommand.SetAction((p, ct) => Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(p.GetValue(bankKey), ct);
            _ = services.GetRequiredService<Delivery.BankKey>();
            return await run(services, p.GetValue(date)!.Value, p.GetValue(outbox)!, ct);
        }));
        command.Subcommands.Add(runCommand);
        return command;
    }

    private static async Task<int> RunReturnsAsync(IServiceProvider services, DateOnly date, string outbox, CancellationToken ct)
    {
        var executed = await services.GetRequiredService<ReturnService>().RunAsync(date, outbox, "cli", ct);
        var table = new Table().AddColumns("voucher", "due", "lines", "amount (yuan)", "notice");
        foreach (var e in executed)
            table.AddRow(Markup.Escape($"{e.AdmDivCode}/{e.VoucherNo}"), e.DueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                e.Count.ToString(CultureInfo.InvariantCulture), e.Amount.ToDisplayString(), Markup.Escape(Path.GetFileName(e.NoticePath)));
        AnsiConsole.MarkupLine($"returns run {date:yyyy-MM-dd}: [green]{executed.Count}[/] return notice(s) written to {Markup.Escape(Path.GetFullPath(outbox))}");
        if (executed.Count > 0) AnsiConsole.Write(table);
        return ExitCodes.Success;
    }

    private static async Task<int> RunClearingAsync(IServiceProvider services, DateOnly date, string outbox, CancellationToken ct)
    {
        var requests = await services.GetRequiredService<ClearingService>().RunAsync(date, outbox, ct);
        AnsiConsole.MarkupLine($"clearing run {date:yyyy-MM-dd}: [green]{requests.Count}[/] request(s) in {Markup.Escape(Path.GetFullPath(outbox))}");
        foreach (var r in requests)
            AnsiConsole.MarkupLine($"  {Markup.Escape(Path.GetFileName(r.Path))}: {r.VoucherCount} voucher(s), {r.Total.ToDisplayString()} yuan{(r.New ? "" : " (already written, unchanged)")}");
        return ExitCodes.Success;
    }

    private static Command Verify()
    {
        var file = new Argument<string>("file") { Description = "the file whose .sig to check" };
        var pub = new Option<string>("--pub") { Description = "signer's SM2 public key (PEM)", Required = true };
        var command = new Command("verify", "checks a file's .sig (SM2 with SM3, signer ID 1234567812345678)") { file, pub };
        command.SetAction((p, _) => Guard(() =>
        {
            var check = SignatureFile.Verify(p.GetValue(file)!, Sm2PublicKey.Load(p.GetValue(pub)!));
            Console.WriteLine(check.IsValid ? $"OK: {check.Message}" : $"FAILED: {check.Message}");
            return Task.FromResult(check.IsValid ? ExitCodes.Success : ExitCodes.Failure);
        }));
        return command;
    }

    private static Command Keygen()
    {
        var outDir = new Option<string>("--out") { Description = "folder for private.pem and public.pem", Required = true };
        var command = new Command("keygen", "makes an SM2 key pair (private.pem, public.pem); never overwrites") { outDir };
        command.SetAction((p, _) => Guard(() =>
        {
            var files = KeyFiles.WriteKeyPair(p.GetValue(outDir)!);
            Console.WriteLine($"keygen: wrote {files.PrivateKeyPath} and {files.PublicKeyPath}");
            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }

    internal static Option<DateOnly?> DateOption(string name, string description, bool required) => new(name)
    {
        Description = description,
        Required = required,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
            r.AddError($"{name}: '{text}' is not a date as yyyy-MM-dd");
            return null;
        },
    };

    /// <summary>Operational failures print one clear sentence and exit 1; never a stack trace for a known failure.</summary>
    internal static async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (OperationalFailure.Describe(e) is { } message)
        {
            Console.Error.WriteLine($"error: {message}");
            return ExitCodes.Failure;
        }
    }
}
