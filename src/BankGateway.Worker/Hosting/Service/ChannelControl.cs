using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Intake;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>The dashboard's "retry now": ends the channel's pause on this node and polls it from this node at once.</summary>
internal sealed class ChannelControl(ChannelCircuits circuits, ChannelPoller poller) : IChannelControl
{
    public Task<string> RetryNowAsync(string admDivCode, CancellationToken ct)
    {
        circuits.HalfOpen(admDivCode);
        return Task.FromResult(poller.PollNow(admDivCode)
            ? $"渠道 {admDivCode} 已立即重新轮询 (poll started now)"
            : $"渠道 {admDivCode} 未配置 (no such channel on this node)");
    }

    public string? CircuitState(string admDivCode) => circuits.StateOf(admDivCode) switch
    {
        0 => "闭合 (polling)",
        1 => "断开 (paused after errors)",
        _ => "半开 (trying again)",
    };
}
