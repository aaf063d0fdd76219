using BankGateway.Files.Signing;
using BankGateway.Worker.Clearing;
using BankGateway.Worker.Database;
using BankGateway.Worker.Intake;
using BankGateway.Worker.MasterData;
using BankGateway.Worker.Posting;
using BankGateway.Worker.Results;
using BankGateway.Worker.Returns;
using BankGateway.Worker.Validation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Hosting;

/// <summary>
/// Everything a command or the service needs, one call away: configuration, the database (embedded
/// default or configured) migrated, and the stages registered. The bank key is loaded lazily so
/// commands that sign nothing (imports) never ask for it.
/// </summary>
internal static class GatewayRuntime
{
    public static IConfiguration LoadConfiguration(string[]? overrides = null)
    {
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables();
        if (overrides is not null) builder.AddCommandLine(overrides);
        return builder.Build();
    }

    /// <summary>Opens the database, applies migrations and builds the service provider.</summary>
    public static async Task<ServiceProvider> StartAsync(IConfiguration configuration, ILoggerFactory loggers, string? bankKeyOverride, TimeProvider? clock, CancellationToken ct)
    {
        DapperSetup.Apply();
        var settings = GatewaySettings.From(configuration);
        var logger = loggers.CreateLogger("BankGateway.Database");
        var db = await DatabaseLocator.OpenAsync(configuration, logger, ct);
        await new MigrationRunner(logger).RunAsync(db, ct);

        var services = new ServiceCollection();
        services.AddSingleton(configuration);
        services.AddSingleton(loggers);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(settings);
        services.AddSingleton(Notices.SmsSettings.From(configuration)); // validated at start, like the other settings
        services.AddSingleton(db);
        services.AddSingleton(new GatewayClock(clock ?? TimeProvider.System));
        services.AddSingleton(_ => new BankKey(LoadBankKey(settings, bankKeyOverride)));
        AddStages(services);
        return services.BuildServiceProvider();
    }

    /// <summary>One registration per stage, in pipeline order.</summary>
    public static void AddStages(IServiceCollection services)
    {
        services.AddSingleton<CatalogueStore>();
        services.AddSingleton<VoucherIntake>();
        services.AddSingleton<CalendarStore>();
        services.AddSingleton(sp => Intake.Channels.DeadlineRules.From(sp.GetService<IConfiguration>()));
        services.AddSingleton<ReturnScheduler>();
        services.AddSingleton<PostingEngine>();
        services.AddSingleton<PostingQueue>();
        services.AddSingleton<OutboundFiles>();
        services.AddSingleton<VoucherResults>();
        services.AddSingleton<RejectionResults>();
        services.AddSingleton<DeliveryAcknowledger>();
        services.AddSingleton<ReturnService>();
        services.AddSingleton<ClearingService>();
        services.AddSingleton<AccountMaster>();
        services.AddSingleton<CatalogueImport>();
        services.AddSingleton<LocalPipeline>();
        services.AddSingleton<Containment.Quarantine>();
        Notices.SmsRegistration.AddSmsNotices(services);
        // Statements (contract §14 DZ_, §16 MB_).
        services.AddSingleton<Reconciliation.ReconciliationStatements>();
        services.AddSingleton<Notices.BeneficiaryStatements>();
        services.AddSingleton<Supervision.AuditVerifier>();
        services.AddSingleton<Supervision.SupervisionExport>();
        services.AddSingleton<Supervision.AnomalyRun>();
    }

    /// <summary>The bank's signing key: the command's --bank-key, else Gateway:BankKeyFile, else BANKGATEWAY_HOME/keys/bank_private.pem.</summary>
    public static Sm2PrivateKey LoadBankKey(GatewaySettings settings, string? overridePath)
    {
        string path = overridePath ?? settings.BankKeyFile ?? Path.Combine(GatewayHome.Resolve().Keys, "bank_private.pem");
        if (!File.Exists(path))
            throw new KeyFileException($"The bank's SM2 private key was not found at {path}. Set Gateway:BankKeyFile or pass --bank-key <pem> " +
                "(make one with: BankGateway.Worker keygen --out <dir>). A key is never made on the fly.");
        KeyFiles.EnsureOwnerOnly(path, "The bank's SM2 private key");
        return Sm2PrivateKey.Load(path);
    }
}
