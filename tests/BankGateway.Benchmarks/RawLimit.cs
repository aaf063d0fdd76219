using BankGateway.Testing.Vouchers;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace BankGateway.Benchmarks;

/// <summary>
/// The raw set-based limit of posting given credits on this server and these tables: one binary COPY into a
/// temp table, one UPDATE of the balances, one INSERT of the journal rows (the product's row shape), one
/// transaction. Uses voucher_id -1 and subsidy key <c>raw|…</c> so neither unique key meets the product's rows.
/// </summary>
internal static class RawLimit
{
    /// <summary>The credits of <see cref="LargeVoucher"/> people <paramref name="ranges"/>, built in memory (not timed).</summary>
    public static (string[] Accounts, string[] Ids, long[] Fen) Credits(IEnumerable<(long First, int Count)> ranges)
    {
        var list = ranges.SelectMany(r => Enumerable.Range(0, r.Count).Select(k => r.First + k)).ToArray();
        return (list.Select(LargeVoucher.Account).ToArray(), list.Select(i => LargeVoucher.IdNumber(i).ToUpperInvariant()).ToArray(),
            list.Select(LargeVoucher.AmountFen).ToArray());
    }

    /// <summary>Posts the credits once; returns the balances updated and journal rows inserted.</summary>
    public static async Task<(int Updated, int Inserted)> PostAsync(NpgsqlDataSource db, (string[] Accounts, string[] Ids, long[] Fen) credits, DateOnly businessDate, CancellationToken ct)
    {
        var (accounts, ids, fen) = credits;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "create temp table raw_staging (row_no int, account_no text, amount_fen bigint, id_number text) on commit drop", transaction: tx, cancellationToken: ct));
        await using (var importer = await connection.BeginBinaryImportAsync("COPY raw_staging (row_no, account_no, amount_fen, id_number) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (int i = 0; i < accounts.Length; i++)
            {
                importer.StartRow();
                importer.Write(i + 1, NpgsqlDbType.Integer);
                importer.Write(accounts[i], NpgsqlDbType.Text);
                importer.Write(fen[i], NpgsqlDbType.Bigint);
                importer.Write(ids[i], NpgsqlDbType.Text);
            }
            await importer.CompleteAsync(ct);
        }
        var now = DateTimeOffset.UtcNow;
        int updated = await connection.ExecuteAsync(new CommandDefinition("""
            update accounts a set balance_fen = a.balance_fen + s.amount_fen, gateway_posted = true, updated_at = @now
            from raw_staging s where a.account_no = s.account_no
            """, new { now }, tx, commandTimeout: 0, cancellationToken: ct));
        int inserted = await connection.ExecuteAsync(new CommandDefinition("""
            insert into journal (voucher_id, kind, side, ref_no, account_no, amount_fen, narrative, id_number, subsidy_key, business_date, posted_at)
            select -1, 'P', 'C', row_no, account_no, amount_fen, @elements || fen_text(amount_fen), id_number, @subsidyKey, @businessDate, @now
            from raw_staging
            """, new { elements = $"{LargeVoucher.DeptName}|{LargeVoucher.SubsidyName}|", subsidyKey = $"raw|{LargeVoucher.SubsidyName}|{LargeVoucher.Period}", businessDate, now },
            tx, commandTimeout: 0, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (updated, inserted);
    }
}
