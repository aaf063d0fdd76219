using System.CommandLine;
using System.CommandLine.Parsing;
using BankGateway.Domain.Statements;
using BankGateway.Worker.Notices;
using BankGateway.Worker.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace BankGateway.Worker.Cli;

/// <summary>
/// <c>statements run --month yyyy-MM | --year yyyy --outbox dir</c> (DZ_, contract §14) and
/// <c>statements beneficiaries --quarter yyyy-Qn --outbox dir</c> (MB_ 明白条, contract §16). A period that has not
/// ended, or a bureau whose vouchers of the period are not all completed, exits 1; a file already written is
/// reported unchanged.
/// </summary>
internal static class StatementsCommand
{
    public static Command Build()
    {
        var statements = new Command("statements", "month/year reconciliation statements (DZ_) and quarterly beneficiary statements (MB_ 明白条)");
        statements.Subcommands.Add(Run());
        statements.Subcommands.Add(Beneficiaries());
        return statements;
    }

    private static Option<StatementPeriod?> PeriodOption(string name, string format, string description, TryParse parse) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (parse(text, out var period)) return period;
            r.AddError($"{name}: '{text}' is not a period as {format}");
            return null;
        },
    };

    private delegate bool TryParse(string? text, out StatementPeriod period);

    private static Command Run()
    {
        var month = PeriodOption("--month", "yyyy-MM", "the month to state, yyyy-MM", StatementPeriod.TryParseMonth);
        var year = PeriodOption("--year", "yyyy", "the year to state, yyyy", StatementPeriod.TryParseYear);
        var outbox = new Option<string>("--outbox") { Description = "outbox folder", Required = true };
        var bankKey = GatewayCommands.BankKeyOption();
        var command = new Command("run", "writes DZ_<AdmDivCode>_<yyyyMM|yyyy>.xml + .sig per bureau with activity in an ended month or year")
            { month, year, outbox, bankKey };
        command.Validators.Add(r =>
        {
            bool hasMonth = r.GetResult(month) is not null, hasYear = r.GetResult(year) is not null;
            if (hasMonth == hasYear) r.AddError("statements run: give exactly one of --month <yyyy-MM> or --year <yyyy>");
        });
        command.SetAction((p, ct) => GatewayCommands.Guard(async () =>
        {
            var period = (p.GetValue(month) ?? p.GetValue(year))!;
            await using var services = await CommandContext.StartAsync(p.GetValue(bankKey), ct);
            _ = services.GetRequiredService<Delivery.BankKey>();
            IReadOnlyList<ReconciliationStatements.Outcome> outcomes;
            try
            {
                outcomes = await services.GetRequiredService<ReconciliationStatements>().RunAsync(period, p.GetValue(outbox)!, ct);
            }
            catch (Exception e) when (e is StatementRefusedException or StatementTotalsException)
            {
                Console.Error.WriteLine($"error: statements run {period.Label}: {e.Message}");
                return ExitCodes.Failure;
            }
            AnsiConsole.MarkupLine($"statements run {Markup.Escape(period.Label)}: [green]{outcomes.Count(o => !o.Refused)}[/] statement(s) in {Markup.Escape(Path.GetFullPath(p.GetValue(outbox)!))}");
            if (outcomes.Count == 0) AnsiConsole.MarkupLine($"  no bureau had any activity in {Markup.Escape(period.Label)}; nothing written");
            foreach (var o in outcomes)
            {
                if (o.Refused)
                {
                    Console.Error.WriteLine($"error: {o.FileName} not written: {o.Unfinished.Count} voucher(s) of {period.Label} not completed yet: {string.Join(", ", o.Unfinished)}");
                    continue;
                }
                var s = o.Statement!;
                AnsiConsole.MarkupLine($"  {Markup.Escape(o.FileName)}: {Status(o.New, o.DiffersFromDatabase)}");
                AnsiConsole.MarkupLine($"    {s.ReceivedCount} voucher(s), received {s.ReceivedAmt.ToDisplayString()}, paid {s.PaidAmt.ToDisplayString()}, " +
                    $"failed {s.FailedAmt.ToDisplayString()}, returned {s.ReturnedAmt.ToDisplayString()}, pending {s.PendingReturnAmt.ToDisplayString()}, cleared {s.ClearedAmt.ToDisplayString()} yuan");
            }
            return outcomes.Any(o => o.Refused) ? ExitCodes.Failure : ExitCodes.Success;
        }));
        return command;
    }

    private static Command Beneficiaries()
    {
        var quarter = PeriodOption("--quarter", "yyyy-Qn", "the quarter, yyyy-Qn (e.g. 2024-Q3)", StatementPeriod.TryParseQuarter);
        quarter.Required = true;
        var outbox = new Option<string>("--outbox") { Description = "outbox folder", Required = true };
        var bankKey = GatewayCommands.BankKeyOption();
        var command = new Command("beneficiaries", "writes MB_<AdmDivCode>_<yyyy>Q<n>.csv + .sig (明白条) per bureau with credits in an ended quarter")
            { quarter, outbox, bankKey };
        command.SetAction((p, ct) => GatewayCommands.Guard(async () =>
        {
            var period = p.GetValue(quarter)!;
            await using var services = await CommandContext.StartAsync(p.GetValue(bankKey), ct);
            _ = services.GetRequiredService<Delivery.BankKey>();
            IReadOnlyList<BeneficiaryStatements.Outcome> outcomes;
            try
            {
                outcomes = await services.GetRequiredService<BeneficiaryStatements>().RunAsync(period, p.GetValue(outbox)!, ct);
            }
            catch (Exception e) when (e is StatementRefusedException or StatementTotalsException)
            {
                Console.Error.WriteLine($"error: statements beneficiaries {period.Label}: {e.Message}");
                return ExitCodes.Failure;
            }
            AnsiConsole.MarkupLine($"statements beneficiaries {Markup.Escape(period.Label)}: [green]{outcomes.Count(o => !o.Refused)}[/] 明白条 file(s) in {Markup.Escape(Path.GetFullPath(p.GetValue(outbox)!))}");
            if (outcomes.Count == 0) AnsiConsole.MarkupLine($"  no credit in {Markup.Escape(period.Label)}; nothing written");
            foreach (var o in outcomes)
            {
                if (o.Refused)
                {
                    Console.Error.WriteLine($"error: {o.FileName} not written: {o.Unfinished.Count} voucher(s) of {period.Label} not completed yet: {string.Join(", ", o.Unfinished)}");
                    continue;
                }
                var s = o.Statement!;
                AnsiConsole.MarkupLine($"  {Markup.Escape(o.FileName)}: {Status(o.New, o.DiffersFromDatabase)}");
                AnsiConsole.MarkupLine($"    {s.Rows.Count} credit(s) to {s.People} person(s), {s.Total.ToDisplayString()} yuan");
            }
            return outcomes.Any(o => o.Refused) ? ExitCodes.Failure : ExitCodes.Success;
        }));
        return command;
    }

    private static string Status(bool isNew, bool differs) =>
        isNew ? "written" : differs ? "unchanged (already written; [yellow]the database now gives other figures[/], see the log)" : "unchanged (already written)";
}
