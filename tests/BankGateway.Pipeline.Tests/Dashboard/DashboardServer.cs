using BankGateway.Worker.Delivery;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Worker.Dashboard;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Results;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Pipeline.Tests.Dashboard;

/// <summary>
/// The dashboard in-process on Kestrel (127.0.0.1, a free port) over a real PostgreSQL database of the
/// test's own, with the gateway core and stages registered as the service host does.
/// </summary>
internal sealed class DashboardServer : IAsyncDisposable
{
    private DashboardServer(WebApplication app, string baseUrl, string work)
    {
        App = app;
        BaseUrl = baseUrl;
        Work = work;
    }

    public WebApplication App { get; }
    public string BaseUrl { get; }
    public string Work { get; }
    public string Outbox => Path.Combine(Work, "outbox");
    public string ResendOutbox => Path.Combine(Work, "resend");
    public NpgsqlDataSource Db => App.Services.GetRequiredService<NpgsqlDataSource>();

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>
    /// Starts the dashboard. Dual control (双人复核) is OFF for every action unless <paramref name="overrides"/> turns it
    /// on: the tests written before it expect an operator's action to execute at once.
    /// </summary>
    public static async Task<DashboardServer> StartAsync(string connectionString, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        string work = Directory.CreateTempSubdirectory("bg-dashboard-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = work, EnvironmentName = "Production", Args = [] });
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Gateway"] = connectionString,
            ["Gateway:BankKeyFile"] = SampleFiles.Key("bank_private.pem"),
            ["Gateway:Posting:ChunkSize"] = "1000",
            ["Gateway:Dashboard:PollSeconds"] = "1",
            ["Gateway:Dashboard:ResendOutbox"] = Path.Combine(work, "resend"),
        };
        foreach (var action in DualControlActions.All) config[$"Gateway:Dashboard:DualControl:{action}"] = "false";
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) config[key] = value;
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");

        DapperSetup.Apply();
        var db = DatabaseLocator.Build(connectionString);
        await new MigrationRunner(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(db, CancellationToken.None);
        var settings = GatewaySettings.From(builder.Configuration);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(db);
        builder.Services.AddSingleton(new GatewayClock(TimeProvider.System));
        builder.Services.AddSingleton(new BankKey(Sm2PrivateKey.Load(SampleFiles.Key("bank_private.pem"))));
        GatewayRuntime.AddStages(builder.Services);
        DashboardSetup.AddDashboard(builder);

        var app = builder.Build();
        DashboardSetup.MapDashboard(app);
        await app.StartAsync();
        return new DashboardServer(app, app.Urls.First().TrimEnd('/'), work);
    }

    public async Task<T> ScalarAsync<T>(string sql, object? args = null)
    {
        await using var connection = await Db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException($"no value: {sql}");
    }

    public async Task ExecuteAsync(string sql, object? args = null)
    {
        await using var connection = await Db.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, args);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { }
    }
}
