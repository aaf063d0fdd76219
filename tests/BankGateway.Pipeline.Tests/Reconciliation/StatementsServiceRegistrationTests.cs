using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using BankGateway.Worker.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Reconciliation;

/// <summary>The service's container can build the statements job with everything it needs.</summary>
[TestFixture]
[NonParallelizable]
public sealed class StatementsServiceRegistrationTests
{
    [Test]
    public async Task The_service_resolves_the_statements_job()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("statements_service_registration");
        string work = Directory.CreateTempSubdirectory("bg-statements-di-").FullName;
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>()).Build();
            var channel = new ChannelSettings
            {
                AdmDivCode = "522726", Kind = ChannelSettings.KindLocal, Inbox = Path.Combine(work, "in"), Outbox = Path.Combine(work, "out"),
                FinancePublicKeyFile = SampleFiles.Key("finance_public.pem"),
            };
            await using var db = NpgsqlDataSource.Create(connectionString);
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddGatewayService(GatewaySettings.From(configuration), new ServiceSettings { Channels = [channel] }, db, connectionString,
                Sm2PrivateKey.Load(SampleFiles.Key("bank_private.pem")));
            await using var provider = services.BuildServiceProvider();
            Assert.That(provider.GetRequiredService<StatementsJob>(), Is.Not.Null);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
