using BankGateway.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace BankGateway.Worker.Cli;

/// <summary>Starts the runtime for one command: configuration, logging to stderr (stdout carries the summary), database.</summary>
internal static class CommandContext
{
    public static ILoggerFactory CreateLoggers(IConfiguration configuration) => LoggerFactory.Create(b =>
    {
        b.AddConfiguration(configuration.GetSection("Logging"));
        b.SetMinimumLevel(LogLevel.Information);
        b.AddFilter("Npgsql", LogLevel.Warning);
        b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });

    public static async Task<ServiceProvider> StartAsync(string? bankKey, CancellationToken ct)
    {
        // Logs, CI and pipes have no terminal width: keep summary tables on one line each.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160;
        var configuration = GatewayRuntime.LoadConfiguration();
        return await GatewayRuntime.StartAsync(configuration, CreateLoggers(configuration), bankKey, null, ct);
    }
}
