using BankGateway.Worker.Channels.Sftp;
using BankGateway.Worker.Database;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly.CircuitBreaker;

namespace BankGateway.Worker.Channels;

/// <summary>
/// A finance bureau's SFTP server (contract §1), polled by the gateway as client: a transport and nothing more.
/// <see cref="SftpConnection"/> connects (pinned host key, deadlines, retry and circuit breaker),
/// <see cref="SftpInbox"/> fetches complete stable sets into <c>&lt;home&gt;/channels/&lt;adm&gt;/inbox</c> and marks them
/// taken, <see cref="SftpUpload"/> puts one file and its <c>.sig</c> in the remote outbox. Local copies of answers are
/// kept in <c>&lt;home&gt;/channels/&lt;adm&gt;/outbox</c>; what is delivered is recorded in the database.
/// </summary>
internal sealed class SftpChannel : IVoucherChannel, IDisposable
{
    /// <summary>Environment variable holding the passphrase of an encrypted private key.</summary>
    public const string PassphraseVariable = SftpConnection.PassphraseVariable;

    /// <summary>The remote inbox's subfolder taken files are renamed into.</summary>
    public const string ProcessedFolder = SftpInbox.ProcessedFolder;

    private readonly SftpConnection _connection;
    private readonly SftpInbox _inbox;
    private readonly SftpUpload _upload;

    /// <summary>Creates the channel and its local folders; settings are checked here (a bad value names its key).</summary>
    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public SftpChannel(ChannelSettings settings, GatewayHome home, NpgsqlDataSource db, ILogger<SftpChannel> logger, TimeProvider clock)
        : this(settings, home, db, logger, clock, new SftpChannelOptions())
    {
    }

    /// <summary>As above, with limits, timeouts and resilience settings of the caller's choosing (tests).</summary>
    public SftpChannel(ChannelSettings settings, GatewayHome home, NpgsqlDataSource db, ILogger<SftpChannel> logger, TimeProvider clock, SftpChannelOptions options)
    {
        _connection = new SftpConnection(settings, options, logger);
        Folder = Path.Combine(home.Root, "channels", settings.AdmDivCode);
        GatewayHome.CreatePrivateDirectory(home.Root);
        LocalOutbox = Path.Combine(Folder, "outbox");
        Directory.CreateDirectory(LocalOutbox);
        _inbox = new SftpInbox(_connection, Path.Combine(Folder, "inbox"), new TakenFiles(db, settings.AdmDivCode), logger, clock);
        _upload = new SftpUpload(_connection, logger);
    }

    /// <inheritdoc />
    public string AdmDivCode => _connection.Settings.AdmDivCode;

    /// <summary><c>&lt;home&gt;/channels/&lt;adm&gt;</c>: the staging inbox and the local copies of answers.</summary>
    public string Folder { get; }

    /// <inheritdoc />
    public string LocalInbox => _inbox.LocalInbox;

    /// <inheritdoc />
    public string LocalOutbox { get; }

    /// <summary>Totals for metrics: host-key rejections, errors, circuit openings, files moved.</summary>
    public ChannelCounters Counters => _connection.Counters;

    /// <summary>The circuit breaker's state: Closed (normal), Open (bureau skipped), HalfOpen (one trial).</summary>
    public CircuitState CircuitState => _connection.CircuitState;

    /// <summary>The last operation's failure, or null after a success.</summary>
    public string? LastFailure => _connection.LastFailure;

    /// <inheritdoc />
    public Task FetchAsync(CancellationToken ct) => _inbox.FetchAsync(ct);

    /// <inheritdoc />
    public Task AcknowledgeTakenAsync(CancellationToken ct) => _inbox.AcknowledgeTakenAsync(ct);

    /// <inheritdoc />
    public Task<Delivery.RemoteCopy> UploadAsync(OutboundItem item, CancellationToken ct) => _upload.UploadAsync(item, ct);

    /// <inheritdoc />
    public Task<ChannelHealth> CheckAsync(CancellationToken ct) => _connection.CheckAsync(ct);

    public void Dispose() => _connection.Dispose();
}
