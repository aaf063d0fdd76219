using BankGateway.Testing.Postgres;
using BankGateway.Worker.Results;
using Npgsql;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// The RS_ streams read a voucher's lines in row order over the primary key, without a sort, even right after
/// intake when the lines have no statistics. Without <see cref="VoucherResults.InRowOrderAsync"/> the planner
/// takes a bitmap scan and sorts, on disk for a large voucher (75 MB and 1.2 s for 1M lines).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ResultStreamPlanTests
{
    private const int Lines = 200_000;

    [Test]
    public async Task Lines_of_a_voucher_without_statistics_stream_in_row_order_without_a_sort()
    {
        var server = await TestDatabase.GetSharedAsync();
        await using var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"));
        await gateway.ScalarAsync<int>($"""
            alter table voucher_lines set (autovacuum_enabled = false);
            insert into voucher_lines (voucher_id, row_no, file_line, seq_no, name, id_number, account_no, dept_name, subsidy_name,
                                       amount_text, amount_fen, period, phone, orig_voucher_no, orig_seq_no, remark)
            select 7, i, i + 1, i::text, '张三', '52272619800101001X', '6217001234567890123', '独山县民政局', '城乡居民最低生活保障金',
                   '350.00', 35000, '2024-09', '', '', '', ''
            from generate_series(1, {Lines}) i;
            select 1
            """);

        string without = await PlanAsync(gateway, VoucherResults.LinesInOrder, inRowOrder: false);
        Assume.That(without, Does.Contain("Sort"), "the planner left alone sorts the lines (the reason for the setting)");

        string with = await PlanAsync(gateway, VoucherResults.LinesInOrder, inRowOrder: true);
        Assert.That(with, Does.Not.Contain("Sort").And.Contain("Index Scan using voucher_lines_pkey"), with);
        Assert.That(await PlanAsync(gateway, VoucherResults.CreditsInOrder, inRowOrder: true), Does.Not.Contain("Sort"));
        Assert.That(await PlanAsync(gateway, VoucherResults.FailuresInOrder, inRowOrder: true), Does.Not.Contain("Sort"));
    }

    // The plan as the product's stream runs it (VoucherResults.InRowOrderAsync), or as the planner alone would choose.
    private static async Task<string> PlanAsync(GatewayHarness gateway, string sql, bool inRowOrder)
    {
        await using var connection = await gateway.Get<NpgsqlDataSource>().OpenConnectionAsync();
        await using var command = inRowOrder
            ? await VoucherResults.InRowOrderAsync(connection, "explain " + sql, 7, CancellationToken.None)
            : new NpgsqlCommand("explain " + sql, connection) { Parameters = { new() { Value = 7L } } };
        await using var transaction = command.Transaction;
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        return string.Join('\n', plan);
    }
}
