namespace BankGateway.Files.Signing;

/// <summary>
/// A key file could not be used: not found, not PEM, not an SM2 key, wrong or missing
/// passphrase, or (keygen) already exists. The message names the file and the problem, so it
/// can be shown to an operator as is.
/// </summary>
public sealed class KeyFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyFileException() { }

    /// <summary>Creates the exception with an operator-facing message.</summary>
    public KeyFileException(string message) : base(message) { }

    /// <summary>Creates the exception with an operator-facing message and its cause.</summary>
    public KeyFileException(string message, Exception innerException) : base(message, innerException) { }
}
