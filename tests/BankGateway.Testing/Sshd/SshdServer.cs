using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BankGateway.Testing.Sshd;

/// <summary>
/// The machine's OpenSSH <c>sshd</c> as a plain process on a free loopback port, with its own config,
/// a generated ed25519 host key and a generated client key in a temp folder: key authentication
/// only, <c>internal-sftp</c>, no chroot (tests use absolute temp folders as inbox and outbox).
/// A folder left by a killed test run is cleaned up by the next start.
/// </summary>
public sealed class SshdServer : IAsyncDisposable
{
    private const string FolderPrefix = "bankgateway-sshd-";
    private const string SshdPath = "/usr/sbin/sshd";

    private Process? _process;
    private int _hostKeyGeneration;

    private SshdServer(string folder, int port)
    {
        Folder = folder;
        Port = port;
    }

    /// <summary>The server's temp folder (config, keys, log).</summary>
    public string Folder { get; }

    /// <summary>The loopback port; kept across <see cref="RestartAsync"/>.</summary>
    public int Port { get; }

    /// <summary>Always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The login user (the user running the tests).</summary>
    public string User { get; } = Environment.UserName;

    /// <summary>The client's private key (ed25519, OpenSSH format, no passphrase), authorised on the server.</summary>
    public string ClientKeyPath => Path.Combine(Folder, "client_ed25519");

    /// <summary>The current host key's fingerprint as <c>ssh-keygen -lf</c> prints it: <c>SHA256:&lt;base64&gt;</c>.</summary>
    public string HostKeyFingerprint { get; private set; } = "";

    /// <summary>True while the sshd process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    private string HostKeyPath => Path.Combine(Folder, $"host_ed25519_{_hostKeyGeneration}");
    private string ConfigPath => Path.Combine(Folder, "sshd_config");
    private string AuthorizedKeysPath => Path.Combine(Folder, "authorized_keys");
    private string PidPath => Path.Combine(Folder, "sshd.pid");
    private string LogPath => Path.Combine(Folder, "sshd.log");

    /// <summary>Makes keys and config and starts sshd; returns when it answers with its SSH banner.</summary>
    public static async Task<SshdServer> StartAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(SshdPath))
            throw new InvalidOperationException($"{SshdPath} not found: install OpenSSH's server (apt-get install -y openssh-server)");
        RemoveLeakedServers();
        string folder = Path.Combine(Path.GetTempPath(), FolderPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
        // sshd refuses to start without its privilege-separation folder (made by the package's service unit, not by apt in containers).
        Directory.CreateDirectory("/run/sshd");

        var server = new SshdServer(folder, FreePort());
        try
        {
            await server.GenerateHostKeyAsync(cancellationToken);
            await RunToolAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "bankgateway-test-client", "-f", server.ClientKeyPath], cancellationToken);
            File.Copy(server.ClientKeyPath + ".pub", server.AuthorizedKeysPath);
            await server.LaunchAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills sshd and every session it forked (a transfer in progress breaks off at once).</summary>
    public void Stop()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Stops and starts sshd again on the same port with the current host key.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        Stop();
        await LaunchAsync(cancellationToken);
    }

    /// <summary>Gives the server a freshly generated host key (a changed or spoofed server) and restarts it.</summary>
    public async Task ReplaceHostKeyAsync(CancellationToken cancellationToken = default)
    {
        Stop();
        _hostKeyGeneration++;
        await GenerateHostKeyAsync(cancellationToken);
        await LaunchAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the stock <c>sftp</c> client in batch mode with the client key, e.g.
    /// <c>put /tmp/a.xml /srv/inbox/a.xml</c>; throws with its output when a command fails.
    /// </summary>
    public async Task<string> SftpBatchAsync(IEnumerable<string> commands, CancellationToken cancellationToken = default)
    {
        string batch = Path.Combine(Folder, $"batch-{Guid.NewGuid():N}.txt");
        await File.WriteAllLinesAsync(batch, commands, cancellationToken);
        try
        {
            return await RunToolAsync("sftp",
            [
                "-b", batch, "-i", ClientKeyPath, "-P", Port.ToString(CultureInfo.InvariantCulture),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                $"{User}@{Host}",
            ], cancellationToken);
        }
        finally
        {
            File.Delete(batch);
        }
    }

    /// <summary>Uploads local files into a remote folder with the stock <c>sftp</c> client (<c>put</c>, one after another).</summary>
    public Task<string> UploadAsync(string remoteFolder, IEnumerable<string> localFiles, CancellationToken cancellationToken = default) =>
        SftpBatchAsync(localFiles.Select(f => $"put {Quote(f)} {Quote(remoteFolder.TrimEnd('/') + "/" + Path.GetFileName(f))}"), cancellationToken);

    /// <summary>
    /// Generates another client key (<c>ed25519</c>, <c>ecdsa</c> or <c>rsa</c>; OpenSSH format, or PEM when
    /// <paramref name="pem"/>; encrypted when a passphrase is given), authorises it and returns its path.
    /// </summary>
    public async Task<string> AuthorizeNewClientKeyAsync(string type, bool pem, string passphrase = "", CancellationToken cancellationToken = default)
    {
        string path = Path.Combine(Folder, $"client_{type}_{(pem ? "pem" : "openssh")}_{Guid.NewGuid().ToString("N")[..6]}");
        var args = new List<string> { "-q", "-t", type, "-N", passphrase, "-C", "bankgateway-test-" + type, "-f", path };
        if (pem) args.AddRange(["-m", "PEM"]);
        await RunToolAsync("ssh-keygen", args, cancellationToken);
        await File.AppendAllTextAsync(AuthorizedKeysPath, await File.ReadAllTextAsync(path + ".pub", cancellationToken), cancellationToken);
        return path;
    }

    /// <summary>The server's log so far (for assertion messages).</summary>
    public string ReadLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public ValueTask DisposeAsync()
    {
        Stop();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }

    private async Task GenerateHostKeyAsync(CancellationToken cancellationToken)
    {
        await RunToolAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "bankgateway-test-host", "-f", HostKeyPath], cancellationToken);
        // "256 SHA256:abc... comment (ED25519)": the second field, exactly as operators copy it into HostKeySha256.
        string printed = await RunToolAsync("ssh-keygen", ["-lf", HostKeyPath + ".pub"], cancellationToken);
        HostKeyFingerprint = printed.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        await File.WriteAllTextAsync(ConfigPath, Config(), cancellationToken);
    }

    private string Config() => string.Join('\n',
        $"Port {Port.ToString(CultureInfo.InvariantCulture)}",
        "ListenAddress 127.0.0.1",
        $"HostKey {HostKeyPath}",
        $"PidFile {PidPath}",
        $"AuthorizedKeysFile {AuthorizedKeysPath}",
        "StrictModes no",
        "UsePAM no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        $"AllowUsers {User}",
        "Subsystem sftp internal-sftp -l INFO",
        "LogLevel VERBOSE",
        "") + "\n";

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(SshdPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // -D: stay in the foreground so this Process is the server; -E: log to our file.
        foreach (var arg in new[] { "-D", "-f", ConfigPath, "-E", LogPath }) start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("sshd did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitForBannerAsync(cancellationToken);
    }

    // Ready when the port answers with "SSH-2.0-"; polled, no fixed sleep.
    private async Task WaitForBannerAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process is null || _process.HasExited)
                throw new InvalidOperationException($"sshd exited with code {_process?.ExitCode} before it was ready:\n{ReadLog()}");
            try
            {
                using var client = new TcpClient();
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attempt.CancelAfter(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(IPAddress.Loopback, Port, attempt.Token);
                var buffer = new byte[64];
                int read = await client.GetStream().ReadAsync(buffer, attempt.Token);
                if (read > 0 && Encoding.ASCII.GetString(buffer, 0, read).StartsWith("SSH-2.0-", StringComparison.Ordinal)) return;
            }
            catch (SocketException)
            {
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
                throw new TimeoutException($"sshd did not answer on 127.0.0.1:{Port} within 20 s:\n{ReadLog()}");
            await Task.Delay(25, cancellationToken);
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Quote(string path) => "\"" + path.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static async Task<string> RunToolAsync(string tool, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await stdout}{await stderr}");
        return await stdout;
    }

    // A test run killed before DisposeAsync leaves sshd running; its owner process is gone, so stop it and remove the folder.
    private static void RemoveLeakedServers()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            try
            {
                string ownerFile = Path.Combine(folder, "owner.pid");
                if (File.Exists(ownerFile) && int.TryParse(File.ReadAllText(ownerFile), out int owner) && IsAlive(owner)) continue;
                string pidFile = Path.Combine(folder, "sshd.pid");
                if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) && IsAlive(pid))
                {
                    using var leaked = Process.GetProcessById(pid);
                    if (leaked.ProcessName.Contains("sshd", StringComparison.Ordinal)) leaked.Kill(entireProcessTree: true);
                }
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
            {
                // Another run's folder in use, or already gone: leave it.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
