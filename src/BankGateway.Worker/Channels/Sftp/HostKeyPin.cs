namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// The pinned host key: <c>SHA256:&lt;base64&gt;</c> as <c>ssh-keygen -lf</c> prints it (unpadded base64
/// of the SHA-256 of the key blob). SSH.NET's <c>HostKeyEventArgs.FingerPrintSHA256</c> is the same
/// base64 without the <c>SHA256:</c> prefix and without padding, so both sides are normalised to that.
/// </summary>
public sealed class HostKeyPin
{
    private const string Prefix = "SHA256:";

    private HostKeyPin(string base64) => Base64 = base64;

    /// <summary>The unpadded base64 digest (no prefix).</summary>
    public string Base64 { get; }

    /// <summary>Parses a configured fingerprint; accepts a missing prefix and trailing '=' padding.</summary>
    public static bool TryParse(string? text, out HostKeyPin pin)
    {
        pin = null!;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string s = text.Trim();
        if (s.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)) s = s[Prefix.Length..];
        s = s.TrimEnd('=');
        // SHA-256 is 32 bytes: 43 base64 characters unpadded.
        if (s.Length != 43) return false;
        try
        {
            if (Convert.FromBase64String(s + "=").Length != 32) return false;
        }
        catch (FormatException)
        {
            return false;
        }
        pin = new HostKeyPin(s);
        return true;
    }

    /// <summary>True when the server's fingerprint (SSH.NET format, with or without prefix/padding) is the pinned one.</summary>
    public bool Matches(string? presented) =>
        presented is not null && TryParse(presented, out var other) && string.Equals(other.Base64, Base64, StringComparison.Ordinal);

    /// <summary>How OpenSSH prints a fingerprint.</summary>
    public static string Display(string? base64) => base64 is null ? "(none)" : Prefix + base64.TrimEnd('=');

    /// <inheritdoc />
    public override string ToString() => Prefix + Base64;
}
