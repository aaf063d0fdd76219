using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// Watches for a database failover (specs/operations.md, "Database failover"): every
/// <see cref="ProbeInterval"/> it asks for a writable primary. Once the database has answered, a failed or
/// read-only answer sets <c>bankgateway_database_failover_in_progress</c> to 1, logs one alarm and empties
/// the connection pool, so no stage is handed a connection to the dead server; the first good answer after
/// that sets it back to 0 and logs how long it took. The stages need nothing from it: they retry on their own.
/// </summary>
internal sealed class DatabaseFailoverWatch(NpgsqlDataSource db, ILogger<DatabaseFailoverWatch> logger) : BackgroundService
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    // A host that vanished without a reset (power cut, network partition) must not hold the probe for Npgsql's 15 s default.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private bool _reachedOnce;
    private long _lostAt;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        GatewayMetrics.DatabaseFailover.Set(0);
        using var timer = new PeriodicTimer(ProbeInterval);
        do
        {
            string? problem = await ProbeAsync(stoppingToken);
            if (stoppingToken.IsCancellationRequested) return;
            Observe(problem);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Null when a writable primary answered, else why not.</summary>
    private async Task<string?> ProbeAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await using var connection = await db.OpenConnectionAsync(timeout.Token);
            await using var command = new NpgsqlCommand("select pg_is_in_recovery() or current_setting('transaction_read_only')::boolean", connection);
            return await command.ExecuteScalarAsync(timeout.Token) is true ? "the server is read-only (a standby)" : null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no answer within {ProbeTimeout.TotalSeconds:F0} s";
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Whatever it is, the watch goes on: an exception escaping a BackgroundService would stop the whole service.
            return e.Message;
        }
    }

    private void Observe(string? problem)
    {
        bool inProgress = _lostAt != 0;
        if (problem is null)
        {
            _reachedOnce = true;
            if (!inProgress) return;
            logger.LogInformation("Database: a writable primary answers again after {Seconds:F1} s; work resumes where it stopped",
                Stopwatch.GetElapsedTime(_lostAt).TotalSeconds);
            _lostAt = 0;
            GatewayMetrics.DatabaseFailover.Set(0);
            return;
        }
        // Before the first good answer the database is merely not up yet: start-up, not a failover.
        if (!_reachedOnce || inProgress) return;
        _lostAt = Stopwatch.GetTimestamp();
        GatewayMetrics.DatabaseFailover.Set(1);
        // Idle pooled connections (the stages' and Quartz's) may point at the dead or demoted server; new ones go to
        // whichever host is primary.
        db.Clear();
        NpgsqlConnection.ClearAllPools();
        logger.LogError("ALARM database: no writable primary ({Problem}); failover in progress? Posting pauses, in-flight chunks roll back and are redone once a primary answers",
            problem);
    }
}
