using System.CommandLine;
using BankGateway.Worker.Notices;
using Microsoft.Extensions.DependencyInjection;

namespace BankGateway.Worker.Cli;

/// <summary>
/// <c>notices send</c> (contract §16): sends every pending SMS notice once and exits: 0 when nothing is left
/// unacknowledged (also when no URL is set, or in quiet hours: the notices wait), 1 when the platform could
/// not be reached or did not acknowledge some of them (they stay pending; nothing unacknowledged is marked sent).
/// </summary>
internal static class NoticesCommand
{
    public static Command Build()
    {
        var notices = new Command("notices", "SMS notices to beneficiaries of credited lines");
        var send = new Command("send", "sends every pending SMS notice to Gateway:Sms:Url and exits (1 when the platform cannot be reached)");
        send.SetAction((_, ct) => GatewayCommands.Guard(async () =>
        {
            await using var services = await CommandContext.StartAsync(null, ct);
            var settings = services.GetRequiredService<SmsSettings>();
            Console.Error.WriteLine(settings.Template.Describe());
            var report = await services.GetRequiredService<SmsSender>().SendAsync(operatorRun: true, TimeSpan.FromDays(365), ct);
            Console.WriteLine($"notices send: {report.Sent} sent ({report.Segments} segment(s)), {report.Failed} not acknowledged, {report.Pending} pending"
                + (report.Stopped is null ? "" : $" — {report.Stopped}"));
            if (report.Failed > 0 || report.Unreachable)
            {
                Console.Error.WriteLine($"error: the SMS platform {settings.Url} did not acknowledge {report.Failed} notice(s){(report.Unreachable ? " or cannot be reached" : "")}; they stay pending");
                return ExitCodes.Failure;
            }
            return ExitCodes.Success;
        }));
        notices.Subcommands.Add(send);
        return notices;
    }
}
