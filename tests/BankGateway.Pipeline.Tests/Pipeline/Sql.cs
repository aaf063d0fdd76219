using Npgsql;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>One value read straight from a test database, as an auditor would check it.</summary>
internal static class Sql
{
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        // ChangeType: sum() of bigint is numeric in PostgreSQL; the tests read it as long.
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
