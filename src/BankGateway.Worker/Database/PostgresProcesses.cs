using System.Diagnostics;

namespace BankGateway.Worker.Database;

/// <summary>
/// What <see cref="EmbeddedPostgres"/> reads about processes from <c>/proc</c>: a pid file's pid, whether a process
/// lives (a zombie does not), whether it is a PostgreSQL process and whether any live one works in a data folder.
/// </summary>
internal static class PostgresProcesses
{
    internal static int? ReadPid(string file)
    {
        try
        {
            using var reader = new StreamReader(file);
            return int.TryParse(reader.ReadLine(), out var pid) && pid > 0 ? pid : null;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The process's state letter from <c>/proc/&lt;pid&gt;/stat</c> (R, S, D, T, Z, X, …), or null
    /// when there is no such process.
    /// </summary>
    internal static char? ReadProcessState(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // "pid (comm) S ...": comm may itself contain spaces and parentheses.
            var close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length ? stat[close + 2] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A process that exists and is not dead: a zombie (Z) or dying (X) process counts as dead.</summary>
    internal static bool IsLive(int pid) => ReadProcessState(pid) is { } state && state != 'Z' && state != 'X';

    internal static bool IsPostgresProcess(int pid)
    {
        if (!IsLive(pid))
        {
            return false;
        }

        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "postgres";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    internal static bool AnyLivePostgresIn(string pgData)
    {
        var self = ReadUid(Environment.ProcessId);
        foreach (var process in Process.GetProcessesByName("postgres"))
        {
            using (process)
            {
                // Not root: this cluster's processes run as this very account; another account's postgres (a
                // system server, whose folder we cannot even read) is not one of them. Root can read every folder.
                if (!IsLive(process.Id) || (!Environment.IsPrivilegedProcess && ReadUid(process.Id) != self))
                {
                    continue;
                }

                if (WorksIn(process.Id, pgData))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string? ReadUid(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return line?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static bool WorksIn(int pid, string pgData)
    {
        try
        {
            // The postmaster and its backends run with the data folder as their working directory.
            var cwd = new FileInfo($"/proc/{pid}/cwd").LinkTarget;
            return cwd is null || Path.GetFullPath(cwd) == Path.GetFullPath(pgData);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Cannot tell (another account's process): assume it might, and leave the pid file to PostgreSQL.
            return IsLive(pid);
        }
    }
}
