namespace BankGateway.Worker.Hosting;

/// <summary>The injectable clock, read in China time (UTC+8, no DST since 1991) for business dates.</summary>
public sealed class GatewayClock(TimeProvider clock)
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    public TimeProvider Provider { get; } = clock;

    /// <summary>Now, truncated to whole seconds: every timestamp we write has second precision, so stored and written values agree.</summary>
    public DateTimeOffset UtcNow
    {
        get
        {
            var now = Provider.GetUtcNow();
            return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        }
    }

    public DateOnly Today => DateOnly.FromDateTime(Provider.GetUtcNow().ToOffset(China).DateTime);
}
