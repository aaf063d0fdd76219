namespace BankGateway.Worker.Database;

/// <summary>
/// The embedded PostgreSQL could not be found, initialised or started. The message is meant
/// for the operator as is: it says what is wrong and what to do.
/// </summary>
public sealed class EmbeddedPostgresException : Exception
{
    /// <summary>Message used when no server binaries are installed.</summary>
    public const string BinariesNotFoundMessage =
        "PostgreSQL server binaries not found (initdb, pg_ctl). Install them: sudo apt-get install postgresql  — or set ConnectionStrings:Gateway / BANKGATEWAY_DB";

    /// <summary>Creates the exception with an operator-facing message.</summary>
    public EmbeddedPostgresException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an operator-facing message and its cause.</summary>
    public EmbeddedPostgresException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
