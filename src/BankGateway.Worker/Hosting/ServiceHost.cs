namespace BankGateway.Worker.Hosting;

/// <summary>The long-running service (no command). Filled in by the always-on worker work.</summary>
internal static class ServiceHost
{
    public static Task<int> RunAsync(CancellationToken ct)
    {
        Console.Error.WriteLine("The always-on service is not built yet; use run-once, returns run and clearing run.");
        return Task.FromResult(1);
    }
}
