using System.Globalization;
using System.Net.Sockets;
using BankGateway.Files.Formats;
using BankGateway.Worker.Hosting;
using BankGateway.Files.Signing;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// The connection half of an SFTP channel: key authentication, the pinned host key (a different key is refused
/// before anything is read or written: ERROR alarm, <see cref="ChannelCounters.HostKeyRejections"/>), a deadline on
/// every request, and the retry policy (exponential backoff with jitter) behind a circuit breaker per channel, so a
/// dead bureau does not cost the others time. Fetching and uploading are built on <see cref="RunAsync"/>.
/// </summary>
internal sealed class SftpConnection : IDisposable
{
    /// <summary>Environment variable holding the passphrase of an encrypted private key.</summary>
    public const string PassphraseVariable = "BANKGATEWAY_SFTP_KEY_PASSPHRASE";

    private readonly ChannelSettings _settings;
    private readonly SftpChannelOptions _options;
    private readonly ILogger _logger;
    private readonly HostKeyPin _pin;
    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _keyLock = new();
    private readonly HashSet<string> _loggedOnce = new(StringComparer.Ordinal);
    private PrivateKeyFile? _key;
    private volatile string? _lastFailure;

    /// <summary>Checks the settings (a bad value names its key) and builds the resilience pipeline.</summary>
    public SftpConnection(ChannelSettings settings, SftpChannelOptions options, ILogger logger)
    {
        _settings = settings;
        _options = options;
        _logger = logger;
        _pin = Validate(settings);
        _pipeline = BuildPipeline();
    }

    public ChannelSettings Settings => _settings;

    public SftpChannelOptions Options => _options;

    /// <summary>Totals for metrics: host-key rejections, errors, circuit openings, files moved.</summary>
    public ChannelCounters Counters { get; } = new();

    /// <summary>The circuit breaker's state: Closed (normal), Open (bureau skipped), HalfOpen (one trial).</summary>
    public CircuitState CircuitState => _circuit.CircuitState;

    /// <summary>The last operation's failure, or null after a success.</summary>
    public string? LastFailure => _lastFailure;

    public string Name => $"SFTP channel {_settings.AdmDivCode}";


    internal async Task RunAsync(string operation, Func<SftpClient, CancellationToken, Task> work, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await _pipeline.ExecuteAsync(async token =>
            {
                using var client = await ConnectAsync(token);
                await work(client, token);
                if (client.IsConnected) client.Disconnect();
            }, ct);
            _lastFailure = null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (BrokenCircuitException)
        {
            _logger.LogWarning("{Channel}: {Operation} skipped, circuit open after repeated failures ({Failure})", Name, operation, _lastFailure);
            throw;
        }
        catch (HostKeyRefusedException ex)
        {
            _lastFailure = ex.Message; // the alarm is already logged
            Counters.Error();
            throw;
        }
        catch (Exception ex) when (ex is SshException or SocketException or ProxyException or IOException or UnauthorizedAccessException or ChannelConfigurationException)
        {
            _lastFailure = ex.Message;
            Counters.Error();
            _logger.LogError("{Channel}: {Operation} failed ({Type}: {Message}); the next poll tries again", Name, operation, ex.GetType().Name, ex.Message);
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private ResiliencePipeline BuildPipeline()
    {
        var transient = new PredicateBuilder()
            .Handle<SshConnectionException>()
            .Handle<SocketException>()
            .Handle<SshOperationTimeoutException>()
            .Handle<ProxyException>();
        return new ResiliencePipelineBuilder { TimeProvider = TimeProvider.System } // network time, not the business clock
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = _options.BreakerFailureRatio,
                MinimumThroughput = _options.BreakerMinimumThroughput,
                SamplingDuration = _options.BreakerSamplingDuration,
                BreakDuration = _options.BreakDuration,
                ShouldHandle = transient,
                StateProvider = _circuit,
                OnOpened = args =>
                {
                    Counters.CircuitOpened();
                    _logger.LogError("{Channel} alarm: circuit open for {Seconds:F0} s after repeated failures ({Failure}); the bureau is skipped meanwhile",
                        Name, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    _logger.LogInformation("{Channel}: circuit closed, the bureau answers again", Name);
                    return ValueTask.CompletedTask;
                },
            })
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, _options.RetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,
                ShouldHandle = transient,
                OnRetry = args =>
                {
                    Counters.Retried();
                    _lastFailure = args.Outcome.Exception?.Message;
                    _logger.LogWarning("{Channel}: attempt {Attempt} failed ({Message}); retrying in {Delay:F1} s",
                        Name, args.AttemptNumber + 1, args.Outcome.Exception?.Message, args.RetryDelay.TotalSeconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    private async Task<SftpClient> ConnectAsync(CancellationToken ct)
    {
        var info = new PrivateKeyConnectionInfo(_settings.Host!, _settings.Port, _settings.User!, LoadKey()) { Timeout = _options.ConnectTimeout };
        var client = new SftpClient(info) { OperationTimeout = _options.OperationTimeout, KeepAliveInterval = TimeSpan.FromSeconds(15) };
        string? presented = null;
        bool refused = false;
        client.HostKeyReceived += (_, e) =>
        {
            presented = e.FingerPrintSHA256;
            e.CanTrust = _pin.Matches(e.FingerPrintSHA256);
            refused = !e.CanTrust;
        };
        try
        {
            await WithTimeoutAsync(async t =>
            {
                await client.ConnectAsync(t);
                return true;
            }, _options.ConnectTimeout, "connect", ct);
            return client;
        }
        catch (Exception ex) when (refused && ex is not OperationCanceledException)
        {
            client.Dispose();
            Counters.HostKeyRejected();
            string shown = HostKeyPin.Display(presented);
            _logger.LogError("{Channel} alarm: host key refused. {Host}:{Port} presented {Presented}, the pinned key is {Pinned}; nothing read or written",
                Name, _settings.Host, _settings.Port, shown, _pin);
            throw new HostKeyRefusedException(shown, _pin.ToString());
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private PrivateKeyFile LoadKey()
    {
        lock (_keyLock)
        {
            if (_key is not null) return _key;
            string path = _settings.PrivateKeyFile!;
            string? passphrase = Environment.GetEnvironmentVariable(PassphraseVariable);
            try
            {
                BankGateway.Files.Signing.KeyFiles.EnsureOwnerOnly(path, "private key");
            }
            catch (BankGateway.Files.Signing.KeyFileException ex)
            {
                throw new ChannelConfigurationException(ex.Message, ex);
            }
            try
            {
                _key = string.IsNullOrEmpty(passphrase) ? new PrivateKeyFile(path) : new PrivateKeyFile(path, passphrase);
                return _key;
            }
            catch (SshPassPhraseNullOrEmptyException ex)
            {
                throw new ChannelConfigurationException($"private key {path} is encrypted: set {PassphraseVariable}", ex);
            }
            catch (Exception ex) when (ex is SshException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or NotSupportedException or System.Security.Cryptography.CryptographicException)
            {
                throw new ChannelConfigurationException($"private key {path} cannot be used: {ex.Message}", ex);
            }
        }
    }

    // A hung server must not hold a poll forever: every request gets a deadline; expiry counts as transient.
    internal static async Task<T> WithTimeoutAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan timeout, string what, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            return await call(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new SshOperationTimeoutException($"{what} did not finish within {timeout.TotalSeconds:F0} s");
        }
    }

    internal TimeSpan TransferTimeout(long bytes) =>
        _options.OperationTimeout + TimeSpan.FromSeconds((double)bytes / Math.Max(1, _options.MinimumBytesPerSecond));


    internal static HostKeyPin Validate(ChannelSettings s)
    {
        if (s.AdmDivCode is not { Length: 6 } adm || !adm.All(char.IsAsciiDigit)) throw new SettingsException(s.Key("AdmDivCode"), $"'{s.AdmDivCode}' is not a 6-digit division code");
        if (string.IsNullOrWhiteSpace(s.Host)) throw new SettingsException(s.Key("Host"), "required for an Sftp channel");
        if (s.Port is < 1 or > 65535) throw new SettingsException(s.Key("Port"), $"'{s.Port}' is not a TCP port");
        if (string.IsNullOrWhiteSpace(s.User)) throw new SettingsException(s.Key("User"), "required for an Sftp channel");
        if (string.IsNullOrWhiteSpace(s.PrivateKeyFile)) throw new SettingsException(s.Key("PrivateKeyFile"), "required for an Sftp channel (key authentication only)");
        if (!HostKeyPin.TryParse(s.HostKeySha256, out var pin))
            throw new SettingsException(s.Key("HostKeySha256"), $"'{s.HostKeySha256}' is not a fingerprint as ssh-keygen -lf prints it (SHA256:<43 base64 characters>)");
        if (string.IsNullOrWhiteSpace(s.Inbox)) throw new SettingsException(s.Key("Inbox"), "required (\".\" for the login folder)");
        if (string.IsNullOrWhiteSpace(s.Outbox)) throw new SettingsException(s.Key("Outbox"), "required");
        return pin;
    }

    internal static string Remote(string folder, string name) =>
        folder.Length == 0 ? name : folder.TrimEnd('/') + "/" + name;

    internal static long ToUnix(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeSeconds();

    internal void LogOnce(string key, LogLevel level, string message, params object?[] args)
    {
        lock (_loggedOnce)
        {
            if (_loggedOnce.Count > 10_000) _loggedOnce.Clear(); // a flood of odd names is logged again now and then, never held forever
            if (!_loggedOnce.Add(key)) return;
        }
        _logger.Log(level, message, args);
    }

    internal static string Sanitize(string name) => new(name.Select(c => char.IsControl(c) ? '?' : c).Take(120).ToArray());

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <inheritdoc />


    /// <summary>Creates <paramref name="folder"/> (and missing parents); returns the server's refusal, or null when it exists.</summary>
    internal async Task<string?> TryEnsureFolderAsync(SftpClient client, string folder, CancellationToken ct)
    {
        try
        {
            await EnsureFolderAsync(client, folder, ct);
            return null;
        }
        catch (SshException ex) when (IsRefusal(ex))
        {
            return ex.Message;
        }
    }

    internal async Task EnsureFolderAsync(SftpClient client, string folder, CancellationToken ct)
    {
        if (folder.Length == 0 || folder == "/") return;
        if (await WithTimeoutAsync(t => client.ExistsAsync(folder, t), _options.OperationTimeout, "exists", ct))
        {
            var attributes = await WithTimeoutAsync(t => client.GetAttributesAsync(folder, t), _options.OperationTimeout, "stat", ct);
            if (!attributes.IsDirectory) throw new SshException($"{folder} exists and is not a folder");
            return;
        }
        int slash = folder.TrimEnd('/').LastIndexOf('/');
        if (slash > 0) await EnsureFolderAsync(client, folder[..slash], ct);
        await WithTimeoutAsync(async t =>
        {
            await client.CreateDirectoryAsync(folder, t);
            return true;
        }, _options.OperationTimeout, "mkdir", ct);
    }

    // A server's "no" (permission, no such folder, generic failure), as opposed to a lost connection.
    internal static bool IsRefusal(SshException ex) =>
        ex is not (SshConnectionException or SshOperationTimeoutException or SshAuthenticationException or ProxyException);


    /// <inheritdoc />
    public async Task<ChannelHealth> CheckAsync(CancellationToken ct)
    {
        if (_circuit.CircuitState == CircuitState.Open)
            return new ChannelHealth(false, $"circuit open after repeated failures: {_lastFailure}");
        try
        {
            using var client = await ConnectAsync(ct);
            bool inbox = await WithTimeoutAsync(t => client.ExistsAsync(_settings.Inbox.Length == 0 ? "." : _settings.Inbox, t), _options.OperationTimeout, "exists", ct);
            client.Disconnect();
            return inbox
                ? new ChannelHealth(true, $"connected to {_settings.Host}:{_settings.Port}")
                : new ChannelHealth(false, $"remote inbox {_settings.Inbox} not found");
        }
        catch (HostKeyRefusedException ex)
        {
            return new ChannelHealth(false, ex.Message);
        }
        catch (Exception ex) when (ex is SshException or SocketException or ProxyException or IOException or ChannelConfigurationException)
        {
            return new ChannelHealth(false, $"unreachable: {ex.Message}");
        }
    }


    public void Dispose()
    {
        _key?.Dispose();
        _gate.Dispose();
    }
}
