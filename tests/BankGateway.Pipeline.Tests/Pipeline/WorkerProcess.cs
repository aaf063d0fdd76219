using System.Diagnostics;
using System.Text;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>Runs the real worker executable (BankGateway.Worker.dll next to the tests) as operators and acceptance tests do.</summary>
internal sealed class WorkerProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    private readonly Dictionary<string, string?> _environment;

    public WorkerProcess(string home, string? connectionString, IReadOnlyDictionary<string, string?>? environment = null)
    {
        _environment = new Dictionary<string, string?>
        {
            ["BANKGATEWAY_HOME"] = home,
            ["BANKGATEWAY_DB"] = connectionString,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) _environment[k] = v;
    }

    public static string WorkerDll => Path.Combine(AppContext.BaseDirectory, "BankGateway.Worker.dll");

    public ProcessStartInfo StartInfo(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add(WorkerDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in _environment)
        {
            if (v is null) info.Environment.Remove(k);
            else info.Environment[k] = v;
        }
        return info;
    }

    public async Task<Result> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the worker and collects its stderr lines as they come, for kill-at-a-moment tests.</summary>
    public Running Start(params string[] args)
    {
        var process = Process.Start(StartInfo(args))!;
        process.StandardInput.Close();
        var running = new Running(process);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) running.Add(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) running.Add(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return running;
    }

    internal sealed class Running(Process process) : IDisposable
    {
        private readonly List<string> _lines = [];
        private readonly Lock _gate = new();

        public Process Process { get; } = process;

        public void Add(string line)
        {
            lock (_gate) _lines.Add(line);
        }

        public IReadOnlyList<string> Lines
        {
            get { lock (_gate) return _lines.ToList(); }
        }

        public async Task<bool> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
        {
            var until = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < until)
            {
                if (Lines.Any(match)) return true;
                if (Process.HasExited) return Lines.Any(match);
                await Task.Delay(20);
            }
            return false;
        }

        /// <summary>SIGKILL: no shutdown code runs, exactly like a power cut of the process.</summary>
        public void Kill()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }

        public string Log => string.Join('\n', Lines);

        public void Dispose() => Process.Dispose();
    }
}
