using System.Text.Json;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>/health/ready is anonymous and polled often: one shared probe per channel, cached, and no details in the answer.</summary>
[TestFixture]
public sealed class ReadinessProbeTests
{
    private sealed class CountingChannel(string adm, bool ready) : IVoucherChannel
    {
        private int _checks;
        public int Checks => Volatile.Read(ref _checks);
        public string AdmDivCode => adm;
        public string LocalInbox => "/tmp";
        public string LocalOutbox => "/tmp";
        public Task FetchAsync(CancellationToken ct) => Task.CompletedTask;
        public Task AcknowledgeTakenAsync(CancellationToken ct) => Task.CompletedTask;
        public Task<BankGateway.Worker.Delivery.RemoteCopy> UploadAsync(OutboundItem item, CancellationToken ct) => throw new NotSupportedException();

        public async Task<ChannelHealth> CheckAsync(CancellationToken ct)
        {
            Interlocked.Increment(ref _checks);
            await Task.Delay(300, ct); // an SSH connection takes a while
            if (!ready) throw new IOException("Could not load /srv/gateway/keys/sftp_522726 (permission denied) at 10.1.2.3:22");
            return new ChannelHealth(true, "connected to 10.1.2.3:22");
        }
    }

    private static ServiceProvider Services(params IVoucherChannel[] channels)
    {
        var finance = SampleFiles.FinancePublic;
        var services = new ServiceCollection();
        // No server behind this socket folder: the database check fails with a message naming the path.
        services.AddSingleton(NpgsqlDataSource.Create("Host=/nonexistent/run/secret-socket-dir;Username=gateway;Database=bankgateway;Timeout=2"));
        services.AddSingleton(new ChannelRegistry(channels.Select(c =>
            new ChannelRegistry.Entry(c, new ChannelSettings { AdmDivCode = c.AdmDivCode }, finance))));
        return services.BuildServiceProvider();
    }

    [Test]
    public async Task Concurrent_requests_share_one_probe_per_channel_and_reuse_it()
    {
        var up = new CountingChannel("522726", ready: true);
        var down = new CountingChannel("522727", ready: false);
        await using var services = Services(up, down);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => HealthEndpoints.CheckAsync(services, CancellationToken.None))));
        var again = await HealthEndpoints.CheckAsync(services, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(up.Checks, Is.EqualTo(1), "21 requests, one SSH probe");
            Assert.That(down.Checks, Is.EqualTo(1), "a failing probe is cached as well");
            Assert.That(answers.Concat([again]).Select(a => a.Checks.Single(c => c.Name == "channel 522726").Ready), Is.All.True);
            Assert.That(again.Checks.Single(c => c.Name == "channel 522727").Ready, Is.False);
            Assert.That(again.Status, Is.EqualTo("not ready"));
        });
    }

    [Test]
    public async Task A_local_channels_folder_check_is_not_cached()
    {
        string root = Directory.CreateTempSubdirectory("bg-ready-").FullName;
        try
        {
            var settings = new ChannelSettings { AdmDivCode = "522726", Kind = "Local", Inbox = Path.Combine(root, "in"), Outbox = Path.Combine(root, "out") };
            Directory.CreateDirectory(settings.Inbox);
            Directory.CreateDirectory(settings.Outbox);
            var local = new LocalChannel(settings);
            var services = new ServiceCollection();
            services.AddSingleton(NpgsqlDataSource.Create("Host=/nonexistent/run;Username=gateway;Database=bankgateway;Timeout=2"));
            services.AddSingleton(new ChannelRegistry([new ChannelRegistry.Entry(local, settings, SampleFiles.FinancePublic)]));
            await using var provider = services.BuildServiceProvider();

            Assert.That((await HealthEndpoints.CheckAsync(provider, CancellationToken.None)).Checks.Single(c => c.Name == "channel 522726").Ready, Is.True);
            Directory.Delete(settings.Inbox);
            Assert.That((await HealthEndpoints.CheckAsync(provider, CancellationToken.None)).Checks.Single(c => c.Name == "channel 522726").Ready, Is.False,
                "an unmounted share shows at once");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public async Task The_answer_names_each_check_ok_or_failing_and_nothing_else()
    {
        await using var services = Services(new CountingChannel("522726", ready: true), new CountingChannel("522727", ready: false));

        var body = JsonSerializer.Serialize(await HealthEndpoints.CheckAsync(services, CancellationToken.None));

        Assert.That(body, Does.Not.Contain("/srv").And.Not.Contain("/nonexistent").And.Not.Contain("10.1.2.3").And.Not.Contain("permission")
            .And.Not.Contain("Exception"));
        var checks = JsonDocument.Parse(body).RootElement.GetProperty("Checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("Name").GetString()!, c => c.GetProperty("Detail").GetString());
        Assert.That(checks, Is.EqualTo(new Dictionary<string, string?>
        {
            ["database"] = "failing",
            ["channel 522726"] = "ok",
            ["channel 522727"] = "failing",
        }));
    }
}
