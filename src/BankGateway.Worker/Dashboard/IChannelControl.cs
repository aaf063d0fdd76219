namespace BankGateway.Worker.Dashboard;

/// <summary>
/// What the service host may offer the dashboard about its channels. Registered by the service
/// (optional): without it "retry now" is recorded in audit_log only and the overview shows the
/// channels table (last poll, last error) without a circuit state.
/// </summary>
public interface IChannelControl
{
    /// <summary>Wakes the bureau's poll loop now (circuit half-open, next poll immediate). Returns a sentence for the operator.</summary>
    Task<string> RetryNowAsync(string admDivCode, CancellationToken ct);

    /// <summary>The channel's circuit state as operators read it (闭合/断开/半开), or null when unknown.</summary>
    string? CircuitState(string admDivCode);
}
