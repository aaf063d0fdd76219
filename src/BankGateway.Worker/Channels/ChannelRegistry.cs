using BankGateway.Files.Signing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BankGateway.Worker.Channels;

/// <summary>
/// One <see cref="IVoucherChannel"/> per configured bureau (<c>Gateway:Channels</c>), with its settings
/// and its finance public key, loaded once at start.
/// </summary>
internal sealed class ChannelRegistry : IDisposable
{
    /// <summary>A configured channel: its transport, settings and the bureau's key.</summary>
    public sealed record Entry(IVoucherChannel Channel, ChannelSettings Settings, Sm2PublicKey FinanceKey);

    private readonly Dictionary<string, Entry> _byAdm;

    public ChannelRegistry(IEnumerable<Entry> entries)
    {
        All = entries.ToList();
        _byAdm = All.ToDictionary(e => e.Settings.AdmDivCode, StringComparer.Ordinal);
    }

    public IReadOnlyList<Entry> All { get; }

    public Entry? Find(string admDivCode) => _byAdm.GetValueOrDefault(admDivCode);

    /// <summary>The local outbox of a bureau's channel, or null when this node has no channel for it.</summary>
    public string? OutboxFor(string admDivCode) => Find(admDivCode)?.Channel.LocalOutbox;

    /// <summary>
    /// Outboxes for the scheduled jobs (returns, clearing), which act on every bureau in the database: a bureau with
    /// no channel here (e.g. one processed by <c>run-once</c> only) gets its files under
    /// BANKGATEWAY_HOME/unconfigured-outbox/&lt;AdmDivCode&gt;, with an error in the log, rather than none at all.
    /// </summary>
    public Func<string, string> OutboxesForJobs(ILogger logger) => adm =>
    {
        if (OutboxFor(adm) is { } outbox) return outbox;
        string fallback = Path.Combine(Database.GatewayHome.Resolve().Root, "unconfigured-outbox", adm);
        logger.LogError("Channel {Adm} is not configured on this node; its files go to {Folder} for an operator to send", adm, fallback);
        return fallback;
    };

    /// <summary>Builds the channels from validated settings.</summary>
    public static ChannelRegistry Build(IReadOnlyList<ChannelSettings> settings, IServiceProvider services)
    {
        var entries = new List<Entry>();
        foreach (var s in settings)
        {
            IVoucherChannel channel = s.IsLocal ? new LocalChannel(s) : CreateSftp(s, services);
            if (s.IsLocal) Directory.CreateDirectory(channel.LocalOutbox);
            entries.Add(new Entry(channel, s, Sm2PublicKey.Load(s.FinancePublicKeyFile!)));
        }
        return new ChannelRegistry(entries);
    }

    /// <summary>Closes the channels' connections (the container disposes the registry when the service stops).</summary>
    public void Dispose()
    {
        foreach (var entry in All) (entry.Channel as IDisposable)?.Dispose();
    }

    private static IVoucherChannel CreateSftp(ChannelSettings s, IServiceProvider services) =>
        new SftpChannel(s, services.GetRequiredService<Database.GatewayHome>(), services.GetRequiredService<Npgsql.NpgsqlDataSource>(), services.GetRequiredService<ILogger<SftpChannel>>(),
            services.GetRequiredService<TimeProvider>());
}
