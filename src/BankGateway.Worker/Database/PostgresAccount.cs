namespace BankGateway.Worker.Database;

/// <summary>
/// The operating-system account the embedded PostgreSQL runs under. PostgreSQL refuses to run
/// as root, so a root worker runs the server programs as an unprivileged account (the
/// <c>postgres</c> account the distribution package creates) and hands it the data and socket
/// folders; any other user runs them as itself.
/// </summary>
internal sealed class PostgresAccount
{
    private PostgresAccount(string? runAs) => RunAs = runAs;

    /// <summary>The account to switch to, or null to run as the current user.</summary>
    public string? RunAs { get; }

    public static async Task<PostgresAccount> ResolveAsync(string serviceAccount, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new PostgresAccount(null);
        }

        // `id` goes through NSS, so accounts from LDAP/sssd count too.
        var probe = await ProcessRunner.RunAsync("id", ["-u", serviceAccount], cancellationToken);
        if (!probe.Succeeded)
        {
            throw new EmbeddedPostgresException(
                $"Running as root, but PostgreSQL refuses to run as root and there is no '{serviceAccount}' account to run it as. "
                + "Install the server (sudo apt-get install postgresql creates that account), run the gateway as an unprivileged user, "
                + "or set ConnectionStrings:Gateway / BANKGATEWAY_DB");
        }

        return new PostgresAccount(serviceAccount);
    }

    /// <summary>Runs a server program as this account.</summary>
    public Task<ProcessResult> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        if (RunAs is null)
        {
            return ProcessRunner.RunAsync(program, arguments, cancellationToken);
        }

        // runuser (util-linux, present on every Debian) switches user without PAM prompts or a tty.
        return ProcessRunner.RunAsync("runuser", ["-u", RunAs, "--", program, .. arguments], cancellationToken);
    }

    /// <summary>Makes the account own <paramref name="path"/> (not recursive); a no-op when not switching.</summary>
    public async Task TakeOwnershipAsync(string path, CancellationToken cancellationToken)
    {
        if (RunAs is null)
        {
            return;
        }

        var result = await ProcessRunner.RunAsync("chown", [$"{RunAs}:", path], cancellationToken);
        if (!result.Succeeded)
        {
            throw new EmbeddedPostgresException($"Could not hand {path} to the '{RunAs}' account: {result.Output}");
        }
    }

    /// <summary>
    /// Lets the account reach <paramref name="path"/>: every folder from <c>/</c> down to it
    /// that others cannot traverse gets the execute ("search") bit for others. Without it a
    /// home under <c>/root</c> (mode 0700) is out of reach for the server. Only traversal is
    /// granted, not listing or reading; <c>keys/</c> stays 0700.
    /// </summary>
    /// <returns>The folders that were changed, for the log.</returns>
    public IReadOnlyList<string> GrantTraversal(string path)
    {
        var changed = new List<string>();
        if (RunAs is null || OperatingSystem.IsWindows())
        {
            return changed;
        }

        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
        {
            if (!dir.Exists)
            {
                continue;
            }

            var mode = dir.UnixFileMode;
            if ((mode & UnixFileMode.OtherExecute) == 0)
            {
                File.SetUnixFileMode(dir.FullName, mode | UnixFileMode.OtherExecute);
                changed.Add(dir.FullName);
            }
        }

        return changed;
    }
}
