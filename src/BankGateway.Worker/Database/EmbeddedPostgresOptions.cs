namespace BankGateway.Worker.Database;

/// <summary>Knobs of <see cref="EmbeddedPostgres"/>; the defaults suit production.</summary>
public sealed record EmbeddedPostgresOptions
{
    /// <summary>The <c>PATH</c> to search for the server binaries; null means the process's <c>PATH</c>.</summary>
    public string? SearchPath { get; init; }

    /// <summary>Roots of versioned installations (<c>&lt;root&gt;/&lt;major&gt;/bin</c>).</summary>
    public IReadOnlyList<string> SearchRoots { get; init; } = PostgresBinaries.DefaultSearchRoots;

    /// <summary>The unprivileged account the server runs as when the worker runs as root.</summary>
    public string ServiceAccount { get; init; } = "postgres";

    /// <summary>How long to wait for another command that is initialising or starting the server.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a command waits, in all, for the server to accept connections: its own start,
    /// crash recovery, restarts after the postmaster died meanwhile
    /// (<c>Gateway:Database:EmbeddedStartTimeoutSeconds</c>). Then it gives up with a clear
    /// message; a server still recovering keeps running and the next command waits again.
    /// </summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Whether initdb flushes the new cluster to disk (about 3 s). Only tests turn it off: a
    /// process kill never loses the page cache, only a power cut does.
    /// </summary>
    internal bool SyncAfterInitDb { get; init; } = true;
}
