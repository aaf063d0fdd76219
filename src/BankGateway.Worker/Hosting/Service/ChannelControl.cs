using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Intake;
using Quartz;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>The dashboard's "retry now": ends the channel's pause on this node and fires its poll job at once (anywhere in the cluster).</summary>
internal sealed class ChannelControl(ChannelCircuits circuits, ISchedulerFactory schedulers) : IChannelControl
{
    public async Task<string> RetryNowAsync(string admDivCode, CancellationToken ct)
    {
        circuits.HalfOpen(admDivCode);
        var scheduler = await schedulers.GetScheduler(ct);
        var key = ChannelPollJob.KeyFor(admDivCode);
        if (await scheduler.GetJobDetail(key, ct) is null) return $"渠道 {admDivCode} 未配置 (no such channel on this node)";
        await scheduler.TriggerJob(key, ct);
        return $"渠道 {admDivCode} 已立即重新轮询 (poll started now)";
    }

    public string? CircuitState(string admDivCode) => circuits.StateOf(admDivCode) switch
    {
        0 => "闭合 (polling)",
        1 => "断开 (paused after errors)",
        _ => "半开 (trying again)",
    };
}
