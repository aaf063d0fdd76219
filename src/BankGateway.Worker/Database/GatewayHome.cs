namespace BankGateway.Worker.Database;

/// <summary>
/// The gateway's home folder (<c>BANKGATEWAY_HOME</c>, default <c>~/.bankgateway</c>) and the
/// well-known folders inside it: <c>pgdata/</c> (embedded PostgreSQL), <c>keys/</c>,
/// <c>logs/</c> and <c>run/</c> (locks and the embedded server's unix socket).
/// </summary>
public sealed class GatewayHome
{
    /// <summary>The environment variable that overrides the home folder.</summary>
    public const string EnvironmentVariable = "BANKGATEWAY_HOME";

    /// <summary>Creates a home rooted at <paramref name="root"/> (made absolute; <c>~</c> is expanded).</summary>
    public GatewayHome(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(ExpandTilde(root));
    }

    /// <summary>Absolute path of the home folder.</summary>
    public string Root { get; }

    /// <summary>Data directory of the embedded PostgreSQL cluster.</summary>
    public string PgData => Path.Combine(Root, "pgdata");

    /// <summary>Key material (the bank's SM2 key by default); kept private to the owner.</summary>
    public string Keys => Path.Combine(Root, "keys");

    /// <summary>Log files, including the embedded server's <c>postgresql.log</c>.</summary>
    public string Logs => Path.Combine(Root, "logs");

    /// <summary>Runtime files: lock files and the embedded server's unix socket.</summary>
    public string Run => Path.Combine(Root, "run");

    /// <summary>
    /// Resolves the home from <c>BANKGATEWAY_HOME</c>, else <c>~/.bankgateway</c>.
    /// </summary>
    /// <param name="environment">Reads an environment variable; tests pass their own.</param>
    public static GatewayHome Resolve(Func<string, string?>? environment = null)
    {
        var configured = (environment ?? Environment.GetEnvironmentVariable)(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new GatewayHome(configured);
        }

        return new GatewayHome(Path.Combine(UserHome(), ".bankgateway"));
    }

    /// <summary>
    /// Creates the home and its folders if missing. New folders are private to the owner
    /// (0700) because <c>keys/</c> holds the bank's signing key.
    /// </summary>
    public void EnsureCreated()
    {
        foreach (var dir in new[] { Root, Keys, Logs, Run })
        {
            CreatePrivateDirectory(dir);
        }
    }

    internal static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static string ExpandTilde(string path)
    {
        if (path == "~")
        {
            return UserHome();
        }

        return path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(UserHome(), path[2..]) : path;
    }

    private static string UserHome()
    {
        // HOME first (what the shell user expects); the passwd entry covers services started without HOME.
        var home = Environment.GetEnvironmentVariable("HOME");
        return string.IsNullOrEmpty(home) ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : home;
    }

    /// <inheritdoc />
    public override string ToString() => Root;
}
