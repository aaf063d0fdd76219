using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BankGateway.Pipeline.Tests.Pipeline;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// The real worker run as the service (no command), configured only through the environment as an operator
/// would (contract §11), listening on a free loopback port.
/// </summary>
internal sealed class ServiceNode : IDisposable
{
    private static readonly HttpClient Http = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(20) };

    private ServiceNode(WorkerProcess.Running running, Uri baseUri)
    {
        Running = running;
        BaseUri = baseUri;
    }

    public WorkerProcess.Running Running { get; }
    public Uri BaseUri { get; }
    public int Pid => Running.Process.Id;
    public bool HasExited => Running.Process.HasExited;

    /// <summary>Environment of a service with one Local channel for 独山县 (522726) signed with the committed sample keys.</summary>
    public static Dictionary<string, string?> LocalChannel(string inbox, string outbox, int pollSeconds = 1) => new()
    {
        ["Gateway__BankKeyFile"] = SampleFiles.Key("bank_private.pem"),
        ["Gateway__Channels__0__AdmDivCode"] = "522726",
        ["Gateway__Channels__0__Kind"] = "Local",
        ["Gateway__Channels__0__Inbox"] = inbox,
        ["Gateway__Channels__0__Outbox"] = outbox,
        ["Gateway__Channels__0__FinancePublicKeyFile"] = SampleFiles.Key("finance_public.pem"),
        ["Gateway__Channels__0__PollSeconds"] = pollSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Gateway__Service__CheckinSeconds"] = "2",
        ["Logging__Console__FormatterName"] = "simple",
    };

    /// <summary>Starts the service and waits until /health/live answers.</summary>
    public static async Task<ServiceNode> StartAsync(string home, string connectionString, IDictionary<string, string?> environment)
    {
        int port = FreePort();
        var env = new Dictionary<string, string?>(environment) { ["Gateway__Dashboard__Urls"] = $"http://127.0.0.1:{port}" };
        var running = new WorkerProcess(home, connectionString, env).Start();
        var node = new ServiceNode(running, new Uri($"http://127.0.0.1:{port}"));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (running.Process.HasExited)
                throw new InvalidOperationException($"the service exited with {running.Process.ExitCode} while starting:\n{running.Log}");
            try
            {
                using var live = await Http.GetAsync(new Uri(node.BaseUri, "/health/live"));
                if (live.StatusCode == HttpStatusCode.OK) return node;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        node.Kill();
        throw new TimeoutException($"the service did not answer /health/live within 60 s:\n{running.Log}");
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri(BaseUri, path));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>SIGTERM, as systemd stops the service; waits for the exit and returns its code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (Kill(Pid, 15) != 0) throw new InvalidOperationException($"kill -TERM {Pid} failed: errno {Marshal.GetLastPInvokeError()}");
        using var cts = new CancellationTokenSource(timeout);
        await Running.Process.WaitForExitAsync(cts.Token);
        return Running.Process.ExitCode;
    }

    /// <summary>SIGKILL: the process dies at once, as in a power cut.</summary>
    public void Kill() => Running.Kill();

    public void Dispose()
    {
        if (!Running.Process.HasExited) Running.Kill();
        Running.Dispose();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, failing with the service's log after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, params ServiceNode[] nodes)
    {
        var until = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds:F0} s\n" +
                    string.Join("\n----\n", nodes.Select(n => n.Running.Log)));
            await Task.Delay(200);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
