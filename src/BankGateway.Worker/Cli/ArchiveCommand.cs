using System.CommandLine;
using BankGateway.Worker.Archive;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Cli;

/// <summary><c>archive verify</c> and <c>archive purge</c>: the kept copies of inbound sets and outbound files.</summary>
internal static class ArchiveCommand
{
    public static Command Build()
    {
        var verify = new Command("verify", "recomputes the SM3 of every kept, unpurged file; exits 1 naming each missing or changed one");
        verify.SetAction((_, ct) => GatewayCommands.Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            var archive = services.GetRequiredService<ArchiveStore>();
            var result = await Progress.Counting("archive verify", p => archive.VerifyAsync(p, ct), "files");
            foreach (var problem in result.Problems) Console.WriteLine($"{problem.Path}: {problem.What}");
            Console.WriteLine($"archive verify: {result.Checked:N0} file(s) checked in {archive.Settings.Folder}, {result.Problems.Count:N0} missing or changed");
            if (result.Problems.Count == 0) return ExitCodes.Success;
            Console.Error.WriteLine($"error: {result.Problems.Count} archived file(s) missing or changed: {string.Join(", ", result.Problems.Take(20).Select(p => p.Path))}");
            return ExitCodes.Failure;
        }));
        var purge = new Command("purge", "deletes the local copies past Gateway:Archive:RetentionYears; their database records stay");
        purge.SetAction((_, ct) => GatewayCommands.Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            var archive = services.GetRequiredService<ArchiveStore>();
            var result = await archive.PurgeAsync(ct);
            Console.WriteLine($"archive purge: {result.Purged:N0} file(s), {result.Bytes:N0} bytes kept in months before {result.Before:yyyy-MM} deleted " +
                $"({archive.Settings.RetentionYears} years' retention); their records stay");
            return ExitCodes.Success;
        }));
        return new Command("archive", "kept copies of inbound sets and outbound files, by month") { verify, purge };
    }
}
