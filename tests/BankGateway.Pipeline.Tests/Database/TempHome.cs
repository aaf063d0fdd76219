using BankGateway.Worker.Database;

namespace BankGateway.Pipeline.Tests.Database;

/// <summary>A throwaway BANKGATEWAY_HOME under /tmp; disposing stops its embedded server and deletes it.</summary>
internal sealed class TempHome : IAsyncDisposable
{
    public TempHome(string? under = null)
    {
        // Short: the embedded server's socket path must fit in 107 bytes.
        Root = Path.Combine(under ?? Path.GetTempPath(), "bgh-" + Guid.NewGuid().ToString("N")[..8]);
        Home = new GatewayHome(Root);
    }

    public string Root { get; }

    public GatewayHome Home { get; }

    /// <summary>Skips initdb's final sync: these clusters never face a power cut.</summary>
    public static EmbeddedPostgresOptions FastOptions { get; } = new() { SyncAfterInitDb = false };

    public EmbeddedPostgres Server(EmbeddedPostgresOptions? options = null) =>
        new(Home, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, options ?? FastOptions);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Server().StopAsync(CancellationToken.None);
        }
        finally
        {
            if (Directory.Exists(Root))
            {
                Directory.Delete(Root, recursive: true);
            }
        }
    }
}
