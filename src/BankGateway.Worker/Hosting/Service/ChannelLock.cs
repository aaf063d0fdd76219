using Npgsql;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// One PostgreSQL advisory lock per channel, held on its own session for as long as a worker fetches, takes
/// and answers that bureau's sets or delivers into its outbox. Quartz already runs a channel's poll on one
/// node at a time; this lock is what makes it certain (a node the cluster wrongly wrote off after a long pause
/// still cannot take a set twice), and it serialises the returns and clearing jobs' deliveries with the polls.
/// The lock dies with the session, so a killed worker never leaves a channel locked.
/// </summary>
internal sealed class ChannelLock(NpgsqlDataSource db)
{
    /// <summary>The advisory lock class of channel locks ("BGCH"); the division code is the object id.</summary>
    public const int LockClass = 0x42474348;

    /// <summary>Takes the channel's lock if it is free; null when another worker holds it.</summary>
    public async Task<IAsyncDisposable?> TryAcquireAsync(string admDivCode, CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand("select pg_try_advisory_lock($1, $2)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = LockClass });
            command.Parameters.Add(new NpgsqlParameter { Value = int.Parse(admDivCode, System.Globalization.CultureInfo.InvariantCulture) });
            if ((bool)(await command.ExecuteScalarAsync(ct))!) return new Held(connection, admDivCode);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    /// <summary>Waits for the channel's lock (returns and clearing deliveries: short, and they must happen).</summary>
    public async Task<IAsyncDisposable> AcquireAsync(string admDivCode, CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand("select pg_advisory_lock($1, $2)", connection) { CommandTimeout = 0 };
            command.Parameters.Add(new NpgsqlParameter { Value = LockClass });
            command.Parameters.Add(new NpgsqlParameter { Value = int.Parse(admDivCode, System.Globalization.CultureInfo.InvariantCulture) });
            await command.ExecuteNonQueryAsync(ct);
            return new Held(connection, admDivCode);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Held(NpgsqlConnection connection, string admDivCode) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                if (connection.FullState == System.Data.ConnectionState.Open)
                {
                    await using var command = new NpgsqlCommand("select pg_advisory_unlock($1, $2)", connection);
                    command.Parameters.Add(new NpgsqlParameter { Value = LockClass });
                    command.Parameters.Add(new NpgsqlParameter { Value = int.Parse(admDivCode, System.Globalization.CultureInfo.InvariantCulture) });
                    await command.ExecuteScalarAsync(CancellationToken.None);
                }
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
