using System.Diagnostics;
using System.Text;

namespace BankGateway.Testing.Postgres;

/// <summary>
/// Runs the PostgreSQL programs for test clusters: found on PATH or under
/// <c>/usr/lib/postgresql/&lt;major&gt;/bin</c>, and run as the <c>postgres</c> account when the
/// tests run as root (PostgreSQL refuses root).
/// </summary>
internal sealed class ClusterProcesses
{
    private ClusterProcesses(string binDirectory, string? runAs)
    {
        BinDirectory = binDirectory;
        RunAs = runAs;
    }

    public string BinDirectory { get; }

    public string? RunAs { get; }

    public static async Task<ClusterProcesses> CreateAsync(string serviceAccount, CancellationToken cancellationToken)
    {
        var bin = FindBinDirectory() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found (initdb, pg_ctl) for the test cluster. Install them (sudo apt-get install postgresql) "
            + $"or set {TestDatabase.EnvironmentVariable} to a server where tests may create databases.");

        string? runAs = null;
        if (Environment.IsPrivilegedProcess)
        {
            var probe = await RunAsync("id", ["-u", serviceAccount], cancellationToken);
            if (probe.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"Tests run as root but there is no '{serviceAccount}' account to run PostgreSQL as (it refuses root). "
                    + $"Install postgresql or set {TestDatabase.EnvironmentVariable}.");
            }

            runAs = serviceAccount;
        }

        return new ClusterProcesses(bin, runAs);
    }

    /// <summary>Runs initdb, pg_ctl or postgres from the found folder, as the cluster's account.</summary>
    public Task<(int ExitCode, string Output)> RunToolAsync(string tool, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var program = Path.Combine(BinDirectory, tool);
        return RunAs is null
            ? RunAsync(program, arguments, cancellationToken)
            : RunAsync("runuser", ["-u", RunAs, "--", program, .. arguments], cancellationToken);
    }

    /// <summary>Hands a folder tree to the cluster's account.</summary>
    public async Task TakeOwnershipAsync(string path, CancellationToken cancellationToken)
    {
        if (RunAs is null)
        {
            return;
        }

        var (exitCode, output) = await RunAsync("chown", ["-R", $"{RunAs}:", path], cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"chown {path} failed: {output}");
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["LC_MESSAGES"] = "C";
        using var process = new Process { StartInfo = startInfo };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken);
        lock (output)
        {
            return (process.ExitCode, output.ToString().TrimEnd());
        }
    }

    private static string? FindBinDirectory()
    {
        static bool Complete(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(Complete);
        if (onPath is not null)
        {
            // A PATH folder may hold only links to initdb and pg_ctl: their real folder has the other tools (pg_basebackup).
            var target = File.ResolveLinkTarget(Path.Combine(onPath, "initdb"), returnFinalTarget: true);
            return target is not null && Path.GetDirectoryName(target.FullName) is { } real && Complete(real) ? real : onPath;
        }

        const string root = "/usr/lib/postgresql";
        return Directory.Exists(root)
            ? Directory.EnumerateDirectories(root)
                .Select(d => (Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1, Bin: Path.Combine(d, "bin")))
                .Where(x => x.Version >= 0 && Complete(x.Bin))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Bin)
                .FirstOrDefault()
            : null;
    }
}
