using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Sshd;
using BankGateway.Worker.Database;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Channels.Sftp;
using Microsoft.Extensions.Logging;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>
/// One test's world: its own sshd on loopback, remote inbox and outbox as absolute temp folders, a
/// BANKGATEWAY_HOME for the channel's staging folders, and a copy of the committed samples.
/// </summary>
internal sealed class SftpTestBed : IAsyncDisposable
{
    public const string Adm = "522726";

    private SftpTestBed(SshdServer server, string root, string samples, Npgsql.NpgsqlDataSource db)
    {
        Db = db;
        Server = server;
        Root = root;
        Samples = samples;
        Directory.CreateDirectory(RemoteInbox);
        Directory.CreateDirectory(RemoteOutbox);
    }

    public SshdServer Server { get; }

    /// <summary>A migrated database of the test's own: the channel remembers taken files there (taken_files).</summary>
    public Npgsql.NpgsqlDataSource Db { get; }
    public string Root { get; }
    public string Samples { get; }
    public string RemoteInbox => Path.Combine(Root, "bureau", "inbox");
    public string RemoteOutbox => Path.Combine(Root, "bureau", "outbox");
    public GatewayHome Home => new(Path.Combine(Root, "home"));
    public ListLogger<SftpChannel> Log { get; } = new();

    /// <summary>Short delays so that failure paths finish in well under a second.</summary>
    public static SftpChannelOptions FastOptions { get; } = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        OperationTimeout = TimeSpan.FromSeconds(10),
        RetryAttempts = 2,
        RetryDelay = TimeSpan.FromMilliseconds(50),
        BreakerMinimumThroughput = 2,
        BreakerFailureRatio = 0.7,
        BreakerSamplingDuration = TimeSpan.FromSeconds(30),
        BreakDuration = TimeSpan.FromSeconds(1),
    };

    public static async Task<SftpTestBed> StartAsync()
    {
        string root = Directory.CreateTempSubdirectory("bg-sftp-").FullName;
        var server = await SshdServer.StartAsync();
        var postgres = await BankGateway.Testing.Postgres.TestDatabase.GetSharedAsync();
        var db = Npgsql.NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("sftp_" + Guid.NewGuid().ToString("N")[..12]));
        await new MigrationRunner(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(db, CancellationToken.None);
        return new SftpTestBed(server, root, SampleFiles.CopyTo(root), db);
    }

    public ChannelSettings Settings(string? hostKey = null, string? privateKey = null) => new()
    {
        AdmDivCode = Adm,
        Kind = "Sftp",
        Host = Server.Host,
        Port = Server.Port,
        User = Server.User,
        PrivateKeyFile = privateKey ?? Server.ClientKeyPath,
        HostKeySha256 = hostKey ?? Server.HostKeyFingerprint,
        Inbox = RemoteInbox,
        Outbox = RemoteOutbox,
        FinancePublicKeyFile = SampleFiles.Key("finance_public.pem"),
    };

    public SftpChannel Channel(SftpChannelOptions? options = null, string? hostKey = null, string? privateKey = null, Npgsql.NpgsqlDataSource? db = null) =>
        new(Settings(hostKey, privateKey), Home, db ?? Db, Log, TimeProvider.System, options ?? FastOptions);

    /// <summary>The sample set's files (PV, PV.sig, QC) in the copied committed inbox.</summary>
    public string[] SampleSet(string voucherNo = "ZF2024000123")
    {
        string inbox = Path.Combine(Samples, "inbox");
        return [Path.Combine(inbox, $"PV_{Adm}_{voucherNo}.xml"), Path.Combine(inbox, $"PV_{Adm}_{voucherNo}.xml.sig"), Path.Combine(inbox, $"QC_{Adm}_{voucherNo}.csv")];
    }

    /// <summary>Uploads with the stock sftp client, like a bureau would.</summary>
    public Task UploadAsync(params string[] files) => Server.UploadAsync(RemoteInbox, files);

    public static string[] Names(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray() : [];

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Db.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Keeps every log line so tests can assert on alarms.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, string Message)> _lines = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Lines
    {
        get
        {
            lock (_lines) return _lines.ToList();
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string message = formatter(state, exception);
        lock (_lines) _lines.Add((logLevel, message));
        TestContextWriter.Write($"{logLevel}: {message}");
    }
}

internal static class TestContextWriter
{
    public static void Write(string line) => NUnit.Framework.TestContext.Progress.WriteLine(line);
}
