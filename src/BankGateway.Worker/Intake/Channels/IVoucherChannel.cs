namespace BankGateway.Worker.Intake.Channels;

/// <summary>
/// One finance bureau's transport (contract §1). The pipeline itself only works on local folders:
/// a channel brings complete voucher sets into a local inbox folder, and takes answered files from
/// a local outbox folder to the bureau. The local-folder channel does both in place; the SFTP
/// channel stages through local folders under BANKGATEWAY_HOME.
/// </summary>
internal interface IVoucherChannel
{
    /// <summary>The bureau's 6-digit division code (区划代码).</summary>
    string AdmDivCode { get; }

    /// <summary>The local folder the pipeline takes sets from (and moves them to its processed/ after recording).</summary>
    string LocalInbox { get; }

    /// <summary>The local folder the pipeline writes answers into.</summary>
    string LocalOutbox { get; }

    /// <summary>
    /// Brings every complete, stable set into <see cref="LocalInbox"/> (no-op for a local channel).
    /// Partial uploads (.tmp/.part, size still changing) are left for a later poll.
    /// </summary>
    Task FetchAsync(CancellationToken ct);

    /// <summary>
    /// After the pipeline recorded and moved sets to LocalInbox/processed/, marks them taken at the
    /// source (SFTP: renamed into the remote inbox's processed/, or remembered by digest).
    /// </summary>
    Task AcknowledgeTakenAsync(CancellationToken ct);

    /// <summary>Sends every answer in <see cref="LocalOutbox"/> not yet sent (temporary name, then rename; .sig after its file).</summary>
    Task DeliverAsync(CancellationToken ct);

    /// <summary>Readiness: can the channel be reached now (and is its host key the pinned one)?</summary>
    Task<ChannelHealth> CheckAsync(CancellationToken ct);
}

/// <summary>A channel's state for /health/ready, metrics and the dashboard.</summary>
internal sealed record ChannelHealth(bool Ready, string Detail);
