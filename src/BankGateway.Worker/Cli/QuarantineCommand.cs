using System.CommandLine;
using BankGateway.Worker.Containment;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace BankGateway.Worker.Cli;

/// <summary>
/// <c>quarantine list</c> and <c>quarantine release &lt;id&gt;</c> (contract §12, decisions D45): what is held because
/// it failed for a reason of its own, and letting the next pass try it again (audited as the OS user).
/// </summary>
internal static class QuarantineCommand
{
    public static Command Build()
    {
        var command = new Command("quarantine", "sets, vouchers and answers held after an unexpected failure");
        var list = new Command("list", "lists what is held");
        list.SetAction((_, ct) => GatewayCommands.Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            var held = await services.GetRequiredService<Quarantine>().OpenAsync(ct);
            var table = new Table().AddColumns("id", "kind", "voucher", "since (UTC)", "error");
            foreach (var h in held)
                table.AddRow(h.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), h.Kind, Markup.Escape($"{h.AdmDivCode}/{h.VoucherNo}"),
                    h.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(h.Error));
            AnsiConsole.MarkupLine($"quarantine: [{(held.Count == 0 ? "green" : "red")}]{held.Count}[/] held");
            if (held.Count > 0) AnsiConsole.Write(table);
            return ExitCodes.Success;
        }));
        var id = new Argument<long>("id") { Description = "the id `quarantine list` shows" };
        var release = new Command("release", "releases one held item: the next pass takes, posts or answers it again") { id };
        release.SetAction((p, ct) => GatewayCommands.Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            bool released = await services.GetRequiredService<Quarantine>().ReleaseAsync(p.GetValue(id), "cli:" + Environment.UserName, ct);
            Console.WriteLine(released ? $"quarantine: {p.GetValue(id)} released" : $"quarantine: nothing held under id {p.GetValue(id)}");
            return released ? ExitCodes.Success : ExitCodes.Failure;
        }));
        command.Subcommands.Add(list);
        command.Subcommands.Add(release);
        return command;
    }
}
