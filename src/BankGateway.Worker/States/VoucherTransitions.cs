using Dapper;
using Npgsql;

namespace BankGateway.Worker.States;

/// <summary>
/// Who and why for the status changes a transaction makes. A trigger writes one voucher_events row per
/// change of vouchers.status or returns.status in the same transaction (migration 010); it reads the actor
/// and the reason from these transaction-local settings, and falls back to 'system' and the stage's name.
/// </summary>
internal static class VoucherTransitions
{
    /// <summary>The setting naming who changes the status (an operator's login, <c>cli:&lt;user&gt;</c>).</summary>
    public const string ActorSetting = "bankgateway.actor";

    /// <summary>The setting naming why.</summary>
    public const string ReasonSetting = "bankgateway.reason";

    /// <summary>Names actor and reason for every status change <paramref name="tx"/> makes from now until it ends.</summary>
    public static Task SetContextAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string actor, string reason, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "select set_config(@actorSetting, @actor, true), set_config(@reasonSetting, @reason, true)",
            new { actorSetting = ActorSetting, actor, reasonSetting = ReasonSetting, reason }, tx, cancellationToken: ct));
}
