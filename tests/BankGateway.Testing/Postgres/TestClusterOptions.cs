namespace BankGateway.Testing.Postgres;

/// <summary>Settings of a throwaway PostgreSQL cluster started by <see cref="TestDatabase"/>.</summary>
public sealed record TestClusterOptions
{
    /// <summary>
    /// Whether the cluster flushes to disk. Off by default: a throwaway cluster need not survive a
    /// power cut and tests run much faster. Crash tests that kill the server turn it on.
    /// </summary>
    public bool Fsync { get; init; }

    /// <summary>The unprivileged account the server runs as when tests run as root.</summary>
    public string ServiceAccount { get; init; } = "postgres";
}
