namespace BankGateway.Worker.Hosting;

/// <summary>
/// Named instants where a test may have the worker SIGKILL itself (<c>BANKGATEWAY_KILL_AT=&lt;point&gt;</c>), so a
/// crash lands exactly between two steps — e.g. after answers are recorded and before they are uploaded —
/// instead of wherever a timer happens to fall. Unset in production: one environment read per point.
/// </summary>
internal static class FaultPoints
{
    public const string Variable = "BANKGATEWAY_KILL_AT";

    /// <summary>After a delivery is recorded and its bytes staged, before the first byte goes out.</summary>
    public const string BeforeUpload = "before-upload";

    public static void Reach(string point)
    {
        if (Environment.GetEnvironmentVariable(Variable) != point) return;
        Console.Error.WriteLine($"fault point {point}: killing the process (SIGKILL)");
        System.Diagnostics.Process.GetCurrentProcess().Kill(); // SIGKILL on Linux: no finally block, no flush
        Thread.Sleep(Timeout.Infinite);
    }
}
