using BankGateway.Worker.Cli;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace BankGateway.Worker.Hosting;

/// <summary>
/// The long-running service (the worker with no command, contract §11): settings validated first, the database
/// migrated, then one Kestrel for the dashboard, /health and /metrics, and the Quartz schedule (channel polls,
/// returns, clearing, reconciliation) clustered through PostgreSQL. SIGTERM stops it cleanly with exit code 0.
/// </summary>
internal static class ServiceHost
{
    public static async Task<int> RunAsync(CancellationToken ct)
    {
        try
        {
            return await RunServiceAsync(ct);
        }
        catch (Exception e) when (OperationalFailure.Describe(e) is { } message)
        {
            Console.Error.WriteLine($"error: {message}");
            return ExitCodes.Failure;
        }
        catch (InvalidOperationException e)
        {
            // Start-up refusals (time zone missing, a port taken, a channel that cannot be built) are one sentence too.
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> RunServiceAsync(CancellationToken ct)
    {
        var configuration = GatewayRuntime.LoadConfiguration();
        // Every setting and key is checked before anything is opened: a wrong one stops the start, naming its key.
        var settings = GatewaySettings.From(configuration);
        var service = ServiceSettings.From(configuration);
        var sms = Notices.SmsSettings.From(configuration);
        var bankKey = GatewayRuntime.LoadBankKey(settings, null);

        using var startupLoggers = LoggerFactory.Create(b => ConfigureLogging(b, configuration));
        var startup = startupLoggers.CreateLogger("BankGateway.Service");
        DapperSetup.Apply();
        var resolved = await DatabaseLocator.ResolveAsync(configuration, startupLoggers.CreateLogger("BankGateway.Database"), ct);
        var db = DatabaseLocator.Build(resolved.ConnectionString);
        await new MigrationRunner(startupLoggers.CreateLogger("BankGateway.Database")).RunAsync(db, ct);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(configuration);
        ConfigureLogging(builder.Logging, configuration);
        builder.Host.UseSystemd();
        builder.WebHost.UseUrls(service.DashboardUrls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(service.ShutdownSeconds));
        builder.Services.AddSingleton(sms);
        builder.Services.AddGatewayService(settings, service, db, DatabaseLocator.Complete(resolved.ConnectionString), bankKey);
        DashboardSetup.AddDashboard(builder);

        await using var app = builder.Build();
        var channels = app.Services.GetRequiredService<ChannelRegistry>(); // built now: a channel that cannot be built stops the start
        GatewayMetrics.Initialise(channels.All.Select(c => c.Settings.AdmDivCode));
        GatewayMetrics.MeasureAtScrape(app.Services.GetRequiredService<DeadlineWatch>(), startup);
        GatewayMetrics.ExposeChannelCounters(channels);
        Archive.ArchiveMetrics.MeasureAtScrape(app.Services.GetRequiredService<Archive.ArchiveStore>(), startup);
        app.MapHealthAndMetrics();
        DashboardSetup.MapDashboard(app); // every other page needs a login

        startup.LogInformation("Service: {Count} channel(s) ({Channels}), listening on {Urls}, returns at {ReturnTime:HH\\:mm}, clearing at {ClearingTime:HH\\:mm} China time",
            channels.All.Count, string.Join(", ", channels.All.Select(c => $"{c.Settings.AdmDivCode} {c.Settings.Kind}")), service.DashboardUrls,
            settings.ReturnTime, service.ClearingTime);
        await app.RunAsync();
        startup.LogInformation("Service: stopped");
        return ExitCodes.Success;
    }

    /// <summary>
    /// Structured logs (JSON lines) on stderr by default; <c>Logging:Console:FormatterName</c> = <c>simple</c> for people,
    /// and under systemd the journal's own format. Nothing logged carries personal data (PersonalDataMask where needed).
    /// </summary>
    internal static void ConfigureLogging(ILoggingBuilder logging, IConfiguration configuration)
    {
        logging.ClearProviders();
        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Npgsql", LogLevel.Warning);
        logging.AddFilter("Quartz", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        string formatter = configuration["Logging:Console:FormatterName"] is { Length: > 0 } f ? f : ConsoleFormatterNames.Json;
        logging.AddConsole(o =>
        {
            o.FormatterName = formatter;
            o.LogToStandardErrorThreshold = LogLevel.Trace;
        });
        logging.Services.Configure<JsonConsoleFormatterOptions>(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffzzz ");
        logging.Services.Configure<SimpleConsoleFormatterOptions>(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
    }
}
