using BankGateway.Domain;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace BankGateway.Worker.MasterData;

/// <summary>
/// The bank's account master (from core banking). Import streams the file through binary COPY into
/// a staging table, then upserts in one statement: holder data and status always follow the file,
/// but a balance the gateway has posted to is never overwritten.
/// </summary>
internal sealed class AccountMaster(NpgsqlDataSource db)
{
    public sealed record ImportResult(long Rows, long Inserted, long Updated);

    public async Task<ImportResult> ImportAsync(string file, IProgress<long>? progress, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            create temp table account_import (account_no text, holder_name text, id_number text, status smallint, balance_fen bigint, file_line bigint) on commit drop
            """, transaction: tx, cancellationToken: ct));
        long rows = 0;
        await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY account_import (account_no, holder_name, id_number, status, balance_fen, file_line) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var row in AccountMasterCsv.Read(stream, Path.GetFileName(file)))
            {
                importer.StartRow();
                importer.Write(row.AccountNo, NpgsqlDbType.Text);
                importer.Write(row.HolderName, NpgsqlDbType.Text);
                importer.Write(row.IdNumber.ToUpperInvariant(), NpgsqlDbType.Text);
                importer.Write((short)row.Status, NpgsqlDbType.Smallint);
                if (row.Balance is { } balance) importer.Write(balance.Fen, NpgsqlDbType.Bigint);
                else importer.WriteNull();
                importer.Write(row.FileLine, NpgsqlDbType.Bigint);
                if (++rows % 100_000 == 0) progress?.Report(rows);
            }
            await importer.CompleteAsync(ct);
        }
        var duplicate = await connection.QueryFirstOrDefaultAsync<(string AccountNo, long Line)?>(new CommandDefinition("""
            select account_no, max(file_line) from account_import group by account_no having count(*) > 1 limit 1
            """, transaction: tx, cancellationToken: ct));
        if (duplicate is { } d)
            throw new FileFormatException(Path.GetFileName(file), d.Line, 1, "账号", $"account number appears more than once in the file");

        // New accounts start at the file's balance (0.00 when empty). For known accounts holder data and status
        // follow the file; the balance only when the file gives one and the gateway has never posted to it.
        var (inserted, updated) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition("""
            with up as (
                update accounts a set
                    holder_name = i.holder_name,
                    id_number = i.id_number,
                    status = i.status,
                    balance_fen = case when a.gateway_posted or i.balance_fen is null then a.balance_fen else i.balance_fen end,
                    updated_at = now()
                from account_import i where a.account_no = i.account_no
                returning 1),
            ins as (
                insert into accounts (account_no, holder_name, id_number, status, balance_fen)
                select i.account_no, i.holder_name, i.id_number, i.status, coalesce(i.balance_fen, 0) from account_import i
                where not exists (select 1 from accounts a where a.account_no = i.account_no)
                returning 1)
            select (select count(*) from ins), (select count(*) from up)
            """, transaction: tx, commandTimeout: 0, cancellationToken: ct));
        await tx.CommitAsync(ct);
        progress?.Report(rows);
        return new ImportResult(rows, inserted, updated);
    }

    /// <summary>Writes every account with its current balance, in account-number order.</summary>
    public async Task<long> ExportAsync(string file, CancellationToken ct)
    {
        long rows = 0;
        await using var connection = await db.OpenConnectionAsync(ct);
        await AtomicFile.WriteAsync(file, (stream, token) =>
        {
            AccountMasterCsv.Write(Rows(), stream, leaveOpen: true);
            return Task.CompletedTask;
        }, ct);

        // Streams straight from the server cursor into the writer: a million accounts never sit in memory.
        IEnumerable<AccountMasterRow> Rows()
        {
            using var command = new NpgsqlCommand("select account_no, holder_name, id_number, status, balance_fen from accounts order by account_no", connection);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                rows++;
                yield return new AccountMasterRow(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                    (AccountStatus)reader.GetInt16(3), new Money(reader.GetInt64(4)), rows);
            }
        }
        return rows;
    }
}
