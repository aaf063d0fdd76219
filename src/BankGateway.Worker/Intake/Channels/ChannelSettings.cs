namespace BankGateway.Worker.Intake.Channels;

/// <summary>
/// One finance bureau's channel (<c>Gateway:Channels:&lt;n&gt;</c>, contract §11): its division code,
/// transport kind, SFTP endpoint with the pinned host key, remote (or local) inbox and outbox,
/// the bureau's SM2 public key and the poll interval.
/// </summary>
public sealed class ChannelSettings
{
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
}
