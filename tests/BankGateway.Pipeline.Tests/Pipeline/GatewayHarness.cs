using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Intake;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// The gateway in-process on a real PostgreSQL database of the test's own, with the real stages,
/// real files and real signatures. Time is a clock the test sets.
/// </summary>
internal sealed class GatewayHarness : IAsyncDisposable
{
    private GatewayHarness(ServiceProvider services, string work, ManualClock clock)
    {
        Services = services;
        Work = work;
        Clock = clock;
    }

    public ServiceProvider Services { get; }
    public string Work { get; }
    public ManualClock Clock { get; }
    public NpgsqlDataSource Db => Services.GetRequiredService<NpgsqlDataSource>();
    public string Outbox => Path.Combine(Work, "outbox");
    public string Archive => Path.Combine(Work, "archive");

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public static async Task<GatewayHarness> StartAsync(string connectionString, string bankKeyFile, IDictionary<string, string?>? settings = null)
    {
        string work = Directory.CreateTempSubdirectory("bg-e2e-").FullName;
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Gateway"] = connectionString,
            ["Gateway:BankKeyFile"] = bankKeyFile,
            ["Gateway:Archive:Folder"] = Path.Combine(work, "archive"),
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) values[k] = v;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        var clock = new ManualClock(new DateTimeOffset(2024, 9, 30, 2, 0, 0, TimeSpan.Zero));
        var services = await GatewayRuntime.StartAsync(configuration, loggers, null, clock, CancellationToken.None);
        return new GatewayHarness(services, work, clock);
    }

    public Task<RunReport> RunOnceAsync(string inbox, Sm2PublicKey financeKey, DateOnly businessDate) =>
        Get<LocalPipeline>().RunOnceAsync(inbox, Outbox, _ => financeKey, businessDate, null, CancellationToken.None);

    public async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException($"no value: {sql}");
    }

    public async Task<List<T>> QueryAsync<T>(string sql, object? args = null)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return (await connection.QueryAsync<T>(sql, args)).ToList();
    }

    /// <summary>Copies a folder of sample files (so tests never move the committed samples).</summary>
    public string CopyFolder(string source, string name)
    {
        string target = Path.Combine(Work, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            string to = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, to);
            File.SetLastWriteTimeUtc(to, File.GetLastWriteTimeUtc(file));
        }
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
