using System.CommandLine;
using BankGateway.Worker.Supervision;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace BankGateway.Worker.Cli;

/// <summary>Contract §15 commands: <c>audit verify</c>, <c>supervision export</c>, <c>anomalies run</c>.</summary>
internal static class SupervisionCommands
{
    public static IEnumerable<Command> Build() => [Audit(), Supervision(), Anomalies()];

    private static Command Audit()
    {
        var verify = new Command("verify", "recomputes the audit log's SM3 chain; exits 1 naming the first changed or removed entry");
        verify.SetAction((_, ct) => GatewayCommands.Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            var verifier = services.GetRequiredService<AuditVerifier>();
            var result = await verifier.VerifyAsync(ct);
            await verifier.RecordAsync(result, "cli", ct);
            if (result.Holds)
            {
                Console.WriteLine($"audit verify: {result.Message}");
                return ExitCodes.Success;
            }
            Console.WriteLine($"audit verify: {result.Message}");
            Console.Error.WriteLine($"error: audit log {result.Message}");
            return ExitCodes.Failure;
        }));
        return new Command("audit", "the tamper-evident audit log") { verify };
    }

    private static (Option<DateOnly?> From, Option<DateOnly?> To, Option<string> Out) Window(string outWhat) => (
        GatewayCommands.DateOption("--from", "first business date yyyy-MM-dd", required: true),
        GatewayCommands.DateOption("--to", "last business date yyyy-MM-dd", required: true),
        new Option<string>("--out") { Description = outWhat, Required = true });

    private static bool Ordered(DateOnly from, DateOnly to)
    {
        if (from <= to) return true;
        Console.Error.WriteLine($"usage error: --from {from:yyyy-MM-dd} is after --to {to:yyyy-MM-dd}");
        return false;
    }

    private static Command Supervision()
    {
        var (from, to, outDir) = Window("folder in which JG_<from>_<to>/ is made (never overwritten)");
        var bankKey = GatewayCommands.BankKeyOption();
        var export = new Command("export", "writes the supervision package JG_<from>_<to>/ (CSV files, manifest.csv signed by the bank key)")
            { from, to, outDir, bankKey };
        export.SetAction((p, ct) => GatewayCommands.Guard(async () =>
        {
            var (f, t) = (p.GetValue(from)!.Value, p.GetValue(to)!.Value);
            if (!Ordered(f, t)) return ExitCodes.Usage;
            await using var services = await CommandContext.StartAsync(p.GetValue(bankKey), ct);
            _ = services.GetRequiredService<Delivery.BankKey>();
            var result = await services.GetRequiredService<SupervisionExport>().RunAsync(f, t, p.GetValue(outDir)!, "cli", ct);
            AnsiConsole.MarkupLine($"supervision export: [green]{Markup.Escape(result.Folder)}[/]");
            foreach (var file in result.Files) AnsiConsole.MarkupLine($"  {Markup.Escape(file.Name)}: {file.Rows:N0} rows, SM3 {file.Sm3}");
            AnsiConsole.MarkupLine($"  manifest.csv SM3 {result.ManifestSm3}, signed (manifest.csv.sig)");
            return ExitCodes.Success;
        }));
        return new Command("supervision", "exports for the supervisor (contract §15)") { export };
    }

    private static Command Anomalies()
    {
        var (from, to, outDir) = Window("folder for YC_<from>_<to>.csv");
        var run = new Command("run", "writes YC_<from>_<to>.csv listing the lines that break rules A01–A05") { from, to, outDir };
        run.SetAction((p, ct) => GatewayCommands.Guard(async () =>
        {
            var (f, t) = (p.GetValue(from)!.Value, p.GetValue(to)!.Value);
            if (!Ordered(f, t)) return ExitCodes.Usage;
            await using var services = await CommandContext.StartAsync(null, ct);
            var result = await services.GetRequiredService<AnomalyRun>().RunAsync(f, t, p.GetValue(outDir)!, "cli", ct);
            AnsiConsole.MarkupLine($"anomalies run: {Markup.Escape(result.Path)}: " +
                string.Join(", ", result.CountByRule.Select(c => $"{c.Key} [{(c.Value == 0 ? "green" : "yellow")}]{c.Value}[/]")));
            return ExitCodes.Success;
        }));
        return new Command("anomalies", "anomaly rules over paid lines (contract §15)") { run };
    }
}
