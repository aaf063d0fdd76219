namespace BankGateway.Files.Signing;

/// <summary>Outcome of checking a file against its <c>.sig</c>.</summary>
public enum SignatureStatus
{
    /// <summary>The signature is good for the file's exact bytes and the given key.</summary>
    Valid,

    /// <summary>A well-formed signature that does not match (file changed, or another key signed it).</summary>
    Invalid,

    /// <summary>There is no <c>.sig</c> next to the file.</summary>
    SigMissing,

    /// <summary>The <c>.sig</c> is not base64 of a DER <c>SEQUENCE { r, s }</c>.</summary>
    SigMalformed,

    /// <summary>The signed file itself does not exist.</summary>
    FileMissing,
}

/// <summary>Result of <see cref="SignatureFile.Verify"/>: a status plus a message fit for an operator or a log.</summary>
/// <param name="Status">What was found.</param>
/// <param name="Message">One line naming the file and the finding.</param>
public sealed record SignatureCheck(SignatureStatus Status, string Message)
{
    /// <summary>True only for <see cref="SignatureStatus.Valid"/>.</summary>
    public bool IsValid => Status == SignatureStatus.Valid;
}
