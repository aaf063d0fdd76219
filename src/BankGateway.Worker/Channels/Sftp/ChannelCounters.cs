namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// Running totals of one channel since the worker started, for <c>/metrics</c> and the dashboard.
/// Thread-safe; read them at any time.
/// </summary>
public sealed class ChannelCounters
{
    private long _hostKeyRejections;
    private long _errors;
    private long _circuitOpen;
    private long _retries;
    private long _setsFetched;
    private long _filesAcknowledged;
    private long _filesRemembered;
    private long _filesDelivered;

    /// <summary>Connections refused because the server's host key was not the pinned one.</summary>
    public long HostKeyRejections => Interlocked.Read(ref _hostKeyRejections);

    /// <summary>Operations that failed (after their retries), skipped transfers included.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Times the circuit breaker opened.</summary>
    public long CircuitOpen => Interlocked.Read(ref _circuitOpen);

    /// <summary>Retries after transient failures.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Complete voucher sets brought into the local inbox.</summary>
    public long SetsFetched => Interlocked.Read(ref _setsFetched);

    /// <summary>Remote files renamed into the remote inbox's <c>processed/</c>.</summary>
    public long FilesAcknowledged => Interlocked.Read(ref _filesAcknowledged);

    /// <summary>Remote files the server would not rename, remembered by digest in <c>taken_files</c> instead.</summary>
    public long FilesRemembered => Interlocked.Read(ref _filesRemembered);

    /// <summary>Files uploaded to the remote outbox.</summary>
    public long FilesDelivered => Interlocked.Read(ref _filesDelivered);

    internal void HostKeyRejected() => Interlocked.Increment(ref _hostKeyRejections);
    internal void Error() => Interlocked.Increment(ref _errors);
    internal void CircuitOpened() => Interlocked.Increment(ref _circuitOpen);
    internal void Retried() => Interlocked.Increment(ref _retries);
    internal void SetFetched() => Interlocked.Increment(ref _setsFetched);
    internal void FileAcknowledged() => Interlocked.Increment(ref _filesAcknowledged);
    internal void FileRemembered() => Interlocked.Increment(ref _filesRemembered);
    internal void FileDelivered() => Interlocked.Increment(ref _filesDelivered);
}
