namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// A poll circuit per channel on this node: after three failed polls in a row the channel is left alone for a
/// while (30 s, doubling up to 10 min), then tried once (half-open); a good poll closes it. This keeps an
/// unreachable bureau from filling the log every few seconds; /health/ready still reports it.
/// </summary>
internal sealed class ChannelCircuits(TimeProvider clock)
{
    public const int FailuresToOpen = 3;

    private sealed class State
    {
        public int Failures;
        public DateTimeOffset OpenUntil;
    }

    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>True when the channel's circuit is open and its pause has not ended.</summary>
    public bool ShouldSkip(string channel)
    {
        lock (_gate)
        {
            if (!_states.TryGetValue(channel, out var s) || s.Failures < FailuresToOpen) return false;
            if (clock.GetUtcNow() < s.OpenUntil) return true;
            GatewayMetrics.ChannelCircuit.WithLabels(channel).Set(2);
            return false;
        }
    }

    public void Succeeded(string channel)
    {
        lock (_gate) _states.Remove(channel);
        GatewayMetrics.ChannelCircuit.WithLabels(channel).Set(0);
    }

    /// <summary>Counts a failure; returns true when this failure opened (or re-opened) the circuit.</summary>
    public bool Failed(string channel)
    {
        GatewayMetrics.ChannelErrors.WithLabels(channel).Inc();
        lock (_gate)
        {
            if (!_states.TryGetValue(channel, out var s)) _states[channel] = s = new State();
            s.Failures++;
            if (s.Failures < FailuresToOpen) return false;
            s.OpenUntil = clock.GetUtcNow() + Pause(s.Failures);
            GatewayMetrics.ChannelCircuit.WithLabels(channel).Set(1);
            return true;
        }
    }

    /// <summary>Ends a pause now (an operator's "retry now"): the next poll tries the channel (half-open).</summary>
    public void HalfOpen(string channel)
    {
        lock (_gate)
        {
            if (_states.TryGetValue(channel, out var s) && s.Failures >= FailuresToOpen) s.OpenUntil = DateTimeOffset.MinValue;
        }
    }

    /// <summary>0 closed, 1 open (paused), 2 half-open (the pause is over, the next poll tries).</summary>
    public int StateOf(string channel)
    {
        lock (_gate)
        {
            if (!_states.TryGetValue(channel, out var s) || s.Failures < FailuresToOpen) return 0;
            return clock.GetUtcNow() < s.OpenUntil ? 1 : 2;
        }
    }

    /// <summary>30 s after the third failure in a row, doubling with each further one, at most 10 minutes.</summary>
    internal static TimeSpan Pause(int failures) =>
        TimeSpan.FromSeconds(Math.Min(600, 30 * Math.Pow(2, Math.Max(0, failures - FailuresToOpen))));
}
