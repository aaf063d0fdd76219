using Dapper;
using Npgsql;

namespace BankGateway.Worker.Supervision;

/// <summary>
/// The tamper-evident audit log (contract §15). The chain itself is kept by the database: the BEFORE INSERT
/// trigger <c>audit_log_chain</c> (migration 006_audit_chain.sql) serialises appends on an advisory lock and fills
/// <c>prev_sm3</c>/<c>entry_sm3</c>, so every writer's plain <c>insert into audit_log (actor, action, subject, detail)</c>
/// is chained in its own transaction. <see cref="AuditVerifier"/> checks it from outside the database.
/// </summary>
internal static class AuditChain
{
    /// <summary>The key of the transaction-scoped advisory lock the trigger takes ("BGAUDITC" in ASCII).</summary>
    public const long AdvisoryLockKey = 0x4247415544495443;

    /// <summary>Appends one entry (the trigger chains it).</summary>
    public static Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string actor, string action, string? subject, string? detail,
        CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "insert into audit_log (actor, action, subject, detail) values (@actor, @action, @subject, @detail)",
            new { actor, action, subject, detail }, tx, cancellationToken: ct));
}
