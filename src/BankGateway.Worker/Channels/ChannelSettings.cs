using System.Globalization;
using System.Text.RegularExpressions;
using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using Microsoft.Extensions.Configuration;

namespace BankGateway.Worker.Channels;

/// <summary>
/// One finance bureau's channel (<c>Gateway:Channels:&lt;n&gt;</c>, contract §11): its division code,
/// transport kind, SFTP endpoint with the pinned host key, remote (or local) inbox and outbox,
/// the bureau's SM2 public key and the poll interval.
/// </summary>
public sealed partial class ChannelSettings
{
    public const string Section = "Gateway:Channels";
    public const string KindSftp = "Sftp";
    public const string KindLocal = "Local";

    /// <summary>The configuration path of this channel, e.g. <c>Gateway:Channels:0</c>; error messages name keys under it.</summary>
    public string ConfigPath { get; init; } = Section + ":0";

    /// <summary>The bureau's 6-digit division code (区划代码).</summary>
    public string AdmDivCode { get; init; } = "";

    /// <summary><c>Sftp</c> (default) or <c>Local</c>.</summary>
    public string Kind { get; init; } = "Sftp";

    /// <summary>SFTP host name or address.</summary>
    public string? Host { get; init; }

    /// <summary>SFTP port.</summary>
    public int Port { get; init; } = 22;

    /// <summary>SFTP user name.</summary>
    public string? User { get; init; }

    /// <summary>Private key for key authentication (ed25519, ECDSA or RSA; OpenSSH or PEM).</summary>
    public string? PrivateKeyFile { get; init; }

    /// <summary>Pinned host key as <c>ssh-keygen -lf</c> prints it: <c>SHA256:&lt;base64 without padding&gt;</c>.</summary>
    public string? HostKeySha256 { get; init; }

    /// <summary>Remote inbox (absolute, or relative to the login folder); a local folder for <c>Local</c>.</summary>
    public string Inbox { get; init; } = "";

    /// <summary>Remote outbox (absolute, or relative to the login folder); a local folder for <c>Local</c>.</summary>
    public string Outbox { get; init; } = "";

    /// <summary>The bureau's SM2 public key (PEM).</summary>
    public string? FinancePublicKeyFile { get; init; }

    /// <summary>Poll interval in seconds.</summary>
    public int PollSeconds { get; init; } = 60;

    /// <summary>
    /// <c>PayWithin</c>: the bureau's deadline to complete a voucher, <c>2WD</c> (2 working days after receipt, default)
    /// or <c>&lt;n&gt;D</c> (calendar days); see <see cref="Channels.PayWithin"/>.
    /// </summary>
    public PayWithin PayWithin { get; init; } = PayWithin.Default;

    /// <summary>True for the local-folder channel (tests, demos).</summary>
    public bool IsLocal => Kind == KindLocal;

    /// <summary>The poll interval.</summary>
    public TimeSpan PollInterval => TimeSpan.FromSeconds(PollSeconds);

    /// <summary>The full configuration key of one of this channel's settings.</summary>
    public string Key(string name) => $"{ConfigPath}:{name}";

    /// <summary>
    /// Reads and validates every <c>Gateway:Channels:&lt;n&gt;</c>. A wrong or missing value throws
    /// <see cref="SettingsException"/> naming the key, so the service stops at start, never at the first poll.
    /// </summary>
    public static IReadOnlyList<ChannelSettings> ReadAll(IConfiguration configuration)
    {
        var channels = new List<ChannelSettings>();
        foreach (var section in configuration.GetSection(Section).GetChildren())
        {
            var channel = Read(section);
            if (channels.FirstOrDefault(c => c.AdmDivCode == channel.AdmDivCode) is { } twin)
                throw new SettingsException(channel.Key("AdmDivCode"), $"'{channel.AdmDivCode}' is already the division code of {twin.ConfigPath}; one channel per bureau");
            channels.Add(channel);
        }
        if (channels.Count == 0)
            throw new SettingsException(Section, "no channel is configured; the service needs at least one (see appsettings.template.json)");
        return channels;
    }

    private static ChannelSettings Read(IConfigurationSection s)
    {
        string path = s.Path;
        string K(string name) => $"{path}:{name}";
        string? V(string name) => string.IsNullOrWhiteSpace(s[name]) ? null : s[name]!.Trim();
        string Required(string name, string what) => V(name) ?? throw new SettingsException(K(name), $"required ({what})");

        string adm = Required("AdmDivCode", "the bureau's 6-digit division code");
        if (!AdmDivCodePattern().IsMatch(adm))
            throw new SettingsException(K("AdmDivCode"), $"'{adm}' is not a 6-digit division code (区划代码)");

        string kind = V("Kind") ?? KindSftp;
        kind = string.Equals(kind, KindSftp, StringComparison.OrdinalIgnoreCase) ? KindSftp
            : string.Equals(kind, KindLocal, StringComparison.OrdinalIgnoreCase) ? KindLocal
            : throw new SettingsException(K("Kind"), $"'{kind}' is not Sftp or Local");

        int port = 22;
        if (V("Port") is { } portText && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            throw new SettingsException(K("Port"), $"'{portText}' is not a TCP port (1–65535)");
        int poll = 60;
        if (V("PollSeconds") is { } pollText && (!int.TryParse(pollText, NumberStyles.None, CultureInfo.InvariantCulture, out poll) || poll is < 1 or > 86_400))
            throw new SettingsException(K("PollSeconds"), $"'{pollText}' is not a whole number of seconds between 1 and 86400");

        var payWithin = PayWithin.Read(V("PayWithin"), K("PayWithin"));

        string? host = V("Host"), user = V("User"), privateKey = V("PrivateKeyFile"), hostKey = V("HostKeySha256");
        if (kind == KindSftp)
        {
            if (host is null) throw new SettingsException(K("Host"), "required for an Sftp channel");
            if (user is null) throw new SettingsException(K("User"), "required for an Sftp channel");
            if (privateKey is null) throw new SettingsException(K("PrivateKeyFile"), "required for an Sftp channel (key authentication only)");
            if (!File.Exists(privateKey)) throw new SettingsException(K("PrivateKeyFile"), $"file not found: {privateKey}");
            if (hostKey is null) throw new SettingsException(K("HostKeySha256"), "required for an Sftp channel (the pinned host key, as `ssh-keygen -lf` prints it)");
            if (!HostKeyPattern().IsMatch(hostKey))
                throw new SettingsException(K("HostKeySha256"), $"'{hostKey}' is not a fingerprint as `ssh-keygen -lf` prints it: SHA256:<43 base64 characters>");
            try
            {
                BankGateway.Files.Signing.KeyFiles.EnsureOwnerOnly(privateKey, "The SFTP private key");
            }
            catch (BankGateway.Files.Signing.KeyFileException e)
            {
                throw new SettingsException(K("PrivateKeyFile"), e.Message);
            }
        }

        string inbox = Required("Inbox", kind == KindLocal ? "the local inbox folder" : "the remote inbox folder");
        string outbox = Required("Outbox", kind == KindLocal ? "the local outbox folder" : "the remote outbox folder");
        string financeKey = Required("FinancePublicKeyFile", "the bureau's SM2 public key, PEM");
        try
        {
            _ = Sm2PublicKey.Load(financeKey);
        }
        catch (Exception e) when (e is KeyFileException or IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            throw new SettingsException(K("FinancePublicKeyFile"), $"cannot load {financeKey}: {e.Message}");
        }

        return new ChannelSettings
        {
            ConfigPath = path, AdmDivCode = adm, Kind = kind, Host = host, Port = port, User = user, PrivateKeyFile = privateKey,
            HostKeySha256 = hostKey, Inbox = inbox, Outbox = outbox, FinancePublicKeyFile = financeKey, PollSeconds = poll,
            PayWithin = payWithin,
        };
    }

    [GeneratedRegex("^[0-9]{6}$")]
    private static partial Regex AdmDivCodePattern();

    // 32 bytes of SHA-256 in base64 without padding are 43 characters; a trailing '=' is tolerated.
    [GeneratedRegex("^SHA256:[A-Za-z0-9+/]{43}=?$")]
    private static partial Regex HostKeyPattern();
}
