using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BankGateway.Pipeline.Tests.Notices;

/// <summary>
/// A real HTTP server on 127.0.0.1 (random port) standing in for the bank's SMS platform: it takes
/// <c>POST /sms</c> with <c>{"id","phone","text"}</c>, refuses a seeded random share of requests with 500,
/// acknowledges the others with 200, and remembers every request in order.
/// </summary>
internal sealed class SmsPlatform : IAsyncDisposable
{
    public sealed record Request(string Id, string Phone, string Text, bool Acknowledged, IReadOnlyList<string> Keys);

    private readonly WebApplication _app;
    private readonly Random _random;
    private readonly double _failRatio;
    private readonly List<Request> _requests = [];
    private readonly Lock _gate = new();

    private SmsPlatform(WebApplication app, double failRatio, int seed)
    {
        _app = app;
        _failRatio = failRatio;
        _random = new Random(seed);
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>Answer time of each request (to catch the sender in the middle of a batch).</summary>
    public TimeSpan Delay { get; set; }

    public IReadOnlyList<Request> Requests
    {
        get { lock (_gate) return _requests.ToList(); }
    }

    public IReadOnlyList<Request> Acknowledged => Requests.Where(r => r.Acknowledged).ToList();

    public static async Task<SmsPlatform> StartAsync(double failRatio, int seed)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var platform = new SmsPlatform(app, failRatio, seed);
        app.MapPost("/sms", (Func<HttpContext, Task<IResult>>)platform.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        platform.Url = new Uri(new Uri(address), "/sms");
        return platform;
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var root = body.RootElement;
        var keys = root.EnumerateObject().Select(p => p.Name).ToList();
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
        bool ok;
        lock (_gate) ok = _random.NextDouble() >= _failRatio;
        var request = new Request(root.GetProperty("id").GetString()!, root.GetProperty("phone").GetString()!, root.GetProperty("text").GetString()!, ok, keys);
        lock (_gate) _requests.Add(request);
        return ok ? Results.Ok(new { code = 0, id = request.Id }) : Results.StatusCode(500);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
