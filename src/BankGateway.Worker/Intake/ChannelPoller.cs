using System.Diagnostics;
using BankGateway.Worker.Hosting.Service;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BankGateway.Worker.Intake;

/// <summary>
/// Polls every configured channel every PollSeconds, on every node (D58). Which node polls a channel is decided
/// by the channel's PostgreSQL advisory lock (<see cref="ChannelLock"/>), taken by <see cref="ChannelPoll"/>: a
/// node that finds it held skips that round. At most <see cref="ServiceSettings.PollConcurrency"/> polls run at
/// once on a node. Each channel keeps its own rhythm: one channel's long intake never delays another's poll
/// beyond a free slot.
/// </summary>
internal sealed class ChannelPoller(ServiceSettings service, ChannelPoll poll, ILogger<ChannelPoller> logger) : BackgroundService
{
    private readonly Dictionary<string, SemaphoreSlim> _wake = service.Channels.ToDictionary(c => c.AdmDivCode, _ => new SemaphoreSlim(0, 1), StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(service.PollConcurrency, service.PollConcurrency);

    /// <summary>Polls the channel on this node now instead of at its next turn (the dashboard's "retry now"); false if it has no such channel.</summary>
    public bool PollNow(string admDivCode)
    {
        if (!_wake.TryGetValue(admDivCode, out var wake)) return false;
        if (wake.CurrentCount == 0)
        {
            try { wake.Release(); }
            catch (SemaphoreFullException) { } // woken already by a concurrent call
        }
        return true;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(service.Channels.Select(c => Task.Run(() => LoopAsync(c.AdmDivCode, c.PollInterval, stoppingToken), CancellationToken.None)));

    private async Task LoopAsync(string admDivCode, TimeSpan interval, CancellationToken ct)
    {
        var wake = _wake[admDivCode];
        while (!ct.IsCancellationRequested)
        {
            long started = Stopwatch.GetTimestamp(); // monotonic: a wall-clock step never stretches the interval
            try
            {
                await _slots.WaitAsync(ct);
                try
                {
                    await poll.PollAsync(admDivCode, ct); // logs and counts its own failures
                }
                finally
                {
                    _slots.Release();
                }
                // Fixed rate, as a repeating trigger: a poll longer than the interval is followed by the next at once, not a backlog.
                var wait = interval - Stopwatch.GetElapsedTime(started);
                await wake.WaitAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // PollAsync contains its own failures; anything else must not end this channel's polling.
                logger.LogError(e, "Intake: poll loop of channel {Adm} failed: {Message}; polling again in {Seconds} s", admDivCode, e.Message, interval.TotalSeconds);
                try { await Task.Delay(interval, ct); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    public override void Dispose()
    {
        _slots.Dispose();
        foreach (var w in _wake.Values) w.Dispose();
        base.Dispose();
    }
}
