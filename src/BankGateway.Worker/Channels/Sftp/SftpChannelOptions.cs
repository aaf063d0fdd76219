namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// Limits, timeouts and resilience settings of an <see cref="SftpChannel"/>. The defaults suit a
/// bureau polled every minute; tests shorten the delays.
/// </summary>
public sealed class SftpChannelOptions
{
    /// <summary>A voucher waiting longer than this for its .sig or detail file raises an alarm (it is never rejected for it).</summary>
    public TimeSpan IncompleteSetAlarm { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>A voucher larger than this is not fetched (alarm logged); matches the intake's 1 MiB limit.</summary>
    public long MaxVoucherBytes { get; init; } = 1 << 20;

    /// <summary>A <c>.sig</c> file larger than this is not fetched.</summary>
    public long MaxSignatureBytes { get; init; } = 64 << 10;

    /// <summary>A detail file (issuance list) larger than this is not fetched.</summary>
    public long MaxDetailBytes { get; init; } = 2L << 30;

    /// <summary>TCP connect plus SSH handshake and authentication.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>One SFTP request (list, stat, rename); transfers get this plus their size at <see cref="MinimumBytesPerSecond"/>.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Slowest transfer rate still accepted before a transfer is abandoned as hung.</summary>
    public long MinimumBytesPerSecond { get; init; } = 64 << 10;

    /// <summary>Retries of one operation after a transient failure (connection lost, timeout).</summary>
    public int RetryAttempts { get; init; } = 3;

    /// <summary>First retry delay; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Operations (after their retries) seen before the circuit may open.</summary>
    public int BreakerMinimumThroughput { get; init; } = 3;

    /// <summary>Share of failed operations within <see cref="BreakerSamplingDuration"/> that opens the circuit.</summary>
    public double BreakerFailureRatio { get; init; } = 0.8;

    /// <summary>Window over which the failure ratio is measured.</summary>
    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an open circuit skips the bureau before one trial operation.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromMinutes(1);
}
