using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BankGateway.Worker.Notices;

/// <summary>The SMS notice parts, registered by one call each from the runtime and the service.</summary>
internal static class SmsRegistration
{
    /// <summary>For every command and the service: settings (if not registered already, validated), creation and sending.</summary>
    public static void AddSmsNotices(IServiceCollection services)
    {
        services.TryAddSingleton(sp => SmsSettings.From(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton<SmsNotices>();
        services.TryAddSingleton<SmsSender>();
    }

    /// <summary>For the service: the sending job (scheduled by <see cref="SmsSendJob.Schedule"/>) and the metrics.</summary>
    public static void AddSmsService(IServiceCollection services)
    {
        services.AddTransient<SmsSendJob>();
        services.AddHostedService<SmsMetricsPublisher>();
    }
}
