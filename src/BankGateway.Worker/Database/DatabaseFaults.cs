using System.Net.Sockets;
using Npgsql;

namespace BankGateway.Worker.Database;

/// <summary>
/// Which database errors belong to the moment and not to the work (specs/operations.md, "Database failover"):
/// a lost connection, a server shutting down, failing over or read-only, no primary among the hosts, too many
/// connections, a deadlock or a serialization failure. They are retried by the next pass; they never quarantine
/// a set or voucher (D45) and never count against a bureau's channel.
/// </summary>
internal static class DatabaseFaults
{
    // Npgsql's multi-host data source when every host answered but none is a writable primary (a standby before its promotion).
    private const string NoSuitableHost = "No suitable host was found";

    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException p => p.IsTransient || p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal)
                               || p.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                   or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.ReadOnlySqlTransaction,
        NpgsqlException n => n.IsTransient || n.InnerException is IOException or SocketException or TimeoutException
                             || n.InnerException is AggregateException a && a.InnerExceptions.All(IsTransient)
                             || n.Message.StartsWith(NoSuitableHost, StringComparison.Ordinal),
        _ => false,
    };
}
