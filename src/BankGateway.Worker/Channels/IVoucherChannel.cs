namespace BankGateway.Worker.Channels;

/// <summary>
/// One finance bureau's transport (contract §1): list and fetch complete sets into a local inbox, mark them
/// taken at the source, upload one file (temporary name, rename, its <c>.sig</c> after it). What to deliver
/// and whether it went out is the delivery stage's business, in the database; a channel only moves bytes.
/// The local-folder channel works in place; the SFTP channel stages through folders under BANKGATEWAY_HOME.
/// </summary>
internal interface IVoucherChannel
{
    /// <summary>The bureau's 6-digit division code (区划代码).</summary>
    string AdmDivCode { get; }

    /// <summary>The local folder the pipeline takes sets from (and moves them to its processed/ after recording).</summary>
    string LocalInbox { get; }

    /// <summary>The local folder answers' local copies are written into (a Local channel's: the bureau's drop folder).</summary>
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

    /// <summary>
    /// Puts one file and then its <c>.sig</c> at the bureau (temporary name, then rename over any earlier copy) and
    /// returns what the destination holds: its size, and its SM3 when read back.
    /// </summary>
    Task<Delivery.RemoteCopy> UploadAsync(OutboundItem item, CancellationToken ct);

    /// <summary>Readiness: can the channel be reached now (and is its host key the pinned one)?</summary>
    Task<ChannelHealth> CheckAsync(CancellationToken ct);
}

/// <summary>A file to upload: its name at the bureau, a local path holding its bytes and one holding its signature, and its SM3.</summary>
internal sealed record OutboundItem(string Name, string ContentPath, string SignaturePath, string Sm3);

/// <summary>A channel's state for /health/ready, metrics and the dashboard.</summary>
internal sealed record ChannelHealth(bool Ready, string Detail);
