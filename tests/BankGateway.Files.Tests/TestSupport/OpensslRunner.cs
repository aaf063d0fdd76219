using NUnit.Framework;
using System.Diagnostics;

namespace BankGateway.Files.Tests.TestSupport;

/// <summary>Runs the real <c>openssl</c> (and <c>/bin/sh</c> for the contract's shell one-liner) in a scratch folder.</summary>
internal sealed class OpensslRunner : IDisposable
{
    public const string OpensslPath = "/usr/bin/openssl";

    public OpensslRunner()
    {
        Directory = Path.Combine(Path.GetTempPath(), "bg-openssl-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>Scratch folder; deleted on <see cref="Dispose"/>.</summary>
    public string Directory { get; }

    public static bool IsAvailable => File.Exists(OpensslPath);

    /// <summary>Skips (Inconclusive) the calling test when openssl is missing.</summary>
    public static void RequireOpenssl()
    {
        if (!IsAvailable)
            Assert.Ignore($"{OpensslPath} not installed");
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Runs openssl with <paramref name="args"/> in the scratch folder.</summary>
    public ProcessResult Openssl(params string[] args) => Run(OpensslPath, args);

    /// <summary>Runs a shell command line in the scratch folder (for the exact contract command).</summary>
    public ProcessResult Shell(string commandLine) => Run("/bin/sh", ["-c", commandLine]);

    /// <summary>Runs openssl and fails the test unless it exits 0.</summary>
    public ProcessResult OpensslOk(params string[] args)
    {
        var result = Openssl(args);
        Assert.That(result.ExitCode, Is.Zero, $"openssl {string.Join(' ', args)} failed: {result.StdErr}{result.StdOut}");
        return result;
    }

    private ProcessResult Run(string fileName, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill();
            throw new TimeoutException($"{fileName} did not finish");
        }
        return new ProcessResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);
