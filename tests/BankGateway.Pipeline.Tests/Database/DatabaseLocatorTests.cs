using BankGateway.Worker.Database;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Database;

[TestFixture]
[NonParallelizable]
public sealed class DatabaseLocatorTests
{
    private const string Configured = "Host=db.example;Database=gateway;Username=svc;Password=secret";
    private const string FromEnvironment = "Host=env.example;Database=gateway;Username=svc";

    [Test]
    public async Task Configuration_connection_string_wins_over_the_environment()
    {
        var resolved = await DatabaseLocator.ResolveAsync(
            Configuration(("ConnectionStrings:Gateway", Configured)),
            NullLogger.Instance,
            CancellationToken.None,
            Environment(("BANKGATEWAY_DB", FromEnvironment)));

        Assert.That(resolved, Is.EqualTo(new ResolvedDatabase(Configured, DatabaseSource.Configuration)));
    }

    [Test]
    public async Task BANKGATEWAY_DB_is_used_when_configuration_has_none()
    {
        var resolved = await DatabaseLocator.ResolveAsync(
            Configuration(("ConnectionStrings:Gateway", "")),
            NullLogger.Instance,
            CancellationToken.None,
            Environment(("BANKGATEWAY_DB", FromEnvironment)));

        Assert.That(resolved, Is.EqualTo(new ResolvedDatabase(FromEnvironment, DatabaseSource.Environment)));
    }

    [Test]
    public async Task Without_either_the_embedded_default_starts_under_BANKGATEWAY_HOME()
    {
        await using var home = new TempHome();

        var resolved = await DatabaseLocator.ResolveAsync(
            Configuration(),
            NullLogger.Instance,
            CancellationToken.None,
            Environment(("BANKGATEWAY_HOME", home.Root)),
            TempHome.FastOptions);

        Assert.That(resolved.Source, Is.EqualTo(DatabaseSource.Embedded));
        await using var dataSource = DatabaseLocator.Build(resolved.ConnectionString);
        await using var command = dataSource.CreateCommand("SELECT current_setting('application_name') || ' ' || current_database()");
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("BankGateway.Worker bankgateway"));
        Assert.That(File.Exists(Path.Combine(home.Home.PgData, "PG_VERSION")));
    }

    [Test]
    public void Invalid_connection_string_is_reported_without_echoing_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DatabaseLocator.Build("Host=x;Password=topsecret;Bogus Key=1"));

        Assert.That(error!.Message, Does.Not.Contain("topsecret"));
    }

    [Test]
    public void Several_hosts_have_their_roles_rechecked_within_seconds_unless_the_string_says_otherwise()
    {
        static int Recheck(string cs) => new Npgsql.NpgsqlConnectionStringBuilder(DatabaseLocator.Complete(cs)).HostRecheckSeconds;

        Assert.Multiple(() =>
        {
            Assert.That(Recheck("Host=pg1:5432,pg2:5432;Target Session Attributes=primary"), Is.EqualTo(2), "a promoted standby is seen as primary soon");
            Assert.That(Recheck("Host=pg1:5432,pg2:5432;Host Recheck Seconds=30"), Is.EqualTo(30), "an operator's own value is kept");
            Assert.That(Recheck("Host=pg1"), Is.EqualTo(10), "one host: Npgsql's default");
            Assert.That(DatabaseLocator.Complete("Host=pg1;Password=p"), Does.Contain("client_connection_check_interval=2000"));
        });
    }

    [Test]
    public async Task The_gateways_sessions_run_without_jit_unless_the_string_sets_it()
    {
        // A posting chunk compiled anew on every execution spent 0.9 s of 2.1 s in JIT (D54).
        var server = await BankGateway.Testing.Postgres.TestDatabase.GetSharedAsync();
        string database = await server.CreateDatabaseAsync(nameof(DatabaseLocatorTests) + "_jit");
        static async Task<string> Jit(string cs)
        {
            await using var db = DatabaseLocator.Build(cs);
            await using var command = db.CreateCommand("show jit");
            return (string)(await command.ExecuteScalarAsync())!;
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await Jit(database), Is.EqualTo("off"));
            Assert.That(await Jit(database + ";Options=-c jit=on"), Is.EqualTo("on"), "an operator's own value is kept");
        });
    }

    [Test]
    public void Home_defaults_to_dot_bankgateway_in_the_user_home_and_honours_BANKGATEWAY_HOME()
    {
        var userHome = System.Environment.GetEnvironmentVariable("HOME")!;
        var byDefault = GatewayHome.Resolve(Environment());
        var configured = GatewayHome.Resolve(Environment(("BANKGATEWAY_HOME", "/srv/gateway")));

        Assert.Multiple(() =>
        {
            Assert.That(byDefault.Root, Is.EqualTo(Path.Combine(userHome, ".bankgateway")));
            Assert.That(configured.PgData, Is.EqualTo("/srv/gateway/pgdata"));
            Assert.That(configured.Keys, Is.EqualTo("/srv/gateway/keys"));
            Assert.That(configured.Logs, Is.EqualTo("/srv/gateway/logs"));
            Assert.That(configured.Run, Is.EqualTo("/srv/gateway/run"));
            Assert.That(new GatewayHome("~/x").Root, Is.EqualTo(Path.Combine(userHome, "x")));
        });
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;
}
