using BankGateway.Worker.Delivery;
using BankGateway.Domain;
using BankGateway.Domain.Codes;
using BankGateway.Files.Formats;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.Results;

/// <summary>
/// The answers to a completed voucher: RS_ (one row per input line, in input order, with the
/// precise failure reason) and HD_ (the voucher receipt, which carries RS_'s SM3). Both are
/// produced from the database only, so they come out identical every time.
/// </summary>
internal sealed class VoucherResults(NpgsqlDataSource db, OutboundFiles outbound)
{
    private sealed record Completed(
        long Id, string AdmDivCode, string VoucherNo, DateOnly BusinessDate, DateTime ReceivedAt, DateTime CompletedAt,
        int DetailCount, long PayAmtFen, int PaidCount, long PaidFen, int FailedCount, long FailedFen, DateOnly? DueDate);

    public async Task<(string Result, string Receipt)> WriteAsync(long voucherId, string outbox, CancellationToken ct)
    {
        Completed v;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            v = await connection.QuerySingleAsync<Completed>(new CommandDefinition("""
                select v.id, v.adm_div_code, v.voucher_no, v.business_date, v.received_at, v.completed_at, v.detail_count,
                       v.pay_amt_fen, v.paid_count, v.paid_fen, v.failed_count, v.failed_fen, r.due_date
                from vouchers v left join returns r on r.voucher_id = v.id
                where v.id = @voucherId and v.status = 'COMPLETED'
                """, new { voucherId }, cancellationToken: ct));
        }
        string resultName = FileNames.Result(v.AdmDivCode, v.VoucherNo);
        var result = await outbound.EnsureAsync(outbox, resultName, "RS", v.AdmDivCode, v.Id, $"voucher:{v.Id}",
            (stream, token) => WriteResultRowsAsync(v, stream, token), ct);

        var receipt = new VoucherReceipt(
            VoucherNo: v.VoucherNo,
            AdmDivCode: v.AdmDivCode,
            Status: v.PaidCount == v.DetailCount ? ReceiptStatus.PAID : v.PaidCount == 0 ? ReceiptStatus.FAILED : ReceiptStatus.PARTIAL,
            ReceivedAt: Utc(v.ReceivedAt),
            CompletedAt: Utc(v.CompletedAt),
            TotalCount: v.DetailCount,
            TotalAmt: new Money(v.PayAmtFen),
            PaidCount: v.PaidCount,
            PaidAmt: new Money(v.PaidFen),
            FailedCount: v.FailedCount,
            FailedAmt: new Money(v.FailedFen),
            ResultFile: resultName,
            ResultFileSm3: result.Sm3,
            ReturnDate: v.DueDate);
        var written = await outbound.EnsureAsync(outbox, FileNames.Receipt(v.AdmDivCode, v.VoucherNo), "HD", v.AdmDivCode, v.Id, $"voucher:{v.Id}",
            (stream, _) => { VoucherReceiptXml.Write(receipt, stream); return Task.CompletedTask; }, ct);
        return (result.Path, written.Path);
    }

    // The three ordered streams that WriteResultRowsAsync merges (the benchmark explains these very strings).
    internal const string LinesInOrder = "select row_no, seq_no, name, id_number, account_no, amount_text from voucher_lines where voucher_id = $1 order by row_no";
    internal const string FailuresInOrder = "select row_no, code from line_failures where voucher_id = $1 order by row_no";
    internal const string CreditsInOrder = "select ref_no, id, posted_at from journal where voucher_id = $1 and kind = 'P' and side = 'C' order by ref_no";

    /// <summary>
    /// Streams lines, failures and credits, each in row order over its own index, and merges them here:
    /// a join right after posting (no statistics yet) can turn into a nested loop over the whole journal.
    /// </summary>
    private async Task WriteResultRowsAsync(Completed v, Stream stream, CancellationToken ct)
    {
        await using var lines = await OrderedAsync(LinesInOrder, v.Id, ct);
        await using var failures = await OrderedAsync(FailuresInOrder, v.Id, ct);
        await using var credits = await OrderedAsync(CreditsInOrder, v.Id, ct);
        await using var writer = new ResultCsvWriter(stream, leaveOpen: true);
        string datePart = v.BusinessDate.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        bool failure = await failures.Reader.ReadAsync(ct), credit = await credits.Reader.ReadAsync(ct);
        while (await lines.Reader.ReadAsync(ct))
        {
            var l = lines.Reader;
            int row = l.GetInt32(0);
            string seq = l.GetString(1), name = l.GetString(2), id = l.GetString(3), account = l.GetString(4), amount = l.GetString(5);
            if (failure && failures.Reader.GetInt32(0) == row)
            {
                var code = (FailureCode)failures.Reader.GetInt16(1);
                writer.Write(new ResultRow(seq, name, id, account, amount, false, code.ToString(), OutcomeTable.Reason(code), "", ""));
                failure = await failures.Reader.ReadAsync(ct);
            }
            else if (credit && credits.Reader.GetInt32(0) == row)
            {
                writer.Write(new ResultRow(seq, name, id, account, amount, true, "", "", BankReference(datePart, credits.Reader.GetInt64(1)),
                    ChinaTime.Format(Utc(credits.Reader.GetFieldValue<DateTime>(2)))));
                credit = await credits.Reader.ReadAsync(ct);
            }
            else
            {
                throw new InvalidOperationException($"voucher {v.VoucherNo} line {seq} has no outcome");
            }
        }
    }

    private sealed class OrderedRows(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader) : IAsyncDisposable
    {
        public NpgsqlDataReader Reader { get; } = reader;

        public async ValueTask DisposeAsync()
        {
            await Reader.DisposeAsync();
            await command.Transaction!.DisposeAsync(); // read only: the rollback ends it
            await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private async Task<OrderedRows> OrderedAsync(string sql, long voucherId, CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        var command = await InRowOrderAsync(connection, sql, voucherId, ct);
        return new OrderedRows(connection, command, await command.ExecuteReaderAsync(ct));
    }

    /// <summary>
    /// The command for one of the ordered streams (<see cref="LinesInOrder"/> …) bound to the voucher, in a new
    /// transaction on <paramref name="connection"/> with sorting off; the caller disposes the command's transaction.
    /// Right after posting the lines have no statistics: the planner then took a bitmap scan and sorted a 1M-line
    /// voucher's lines on disk (75 MB, 1.2 s) although the primary key's index scan returns them in row order (D56).
    /// </summary>
    internal static async Task<NpgsqlCommand> InRowOrderAsync(NpgsqlConnection connection, string sql, long voucherId, CancellationToken ct)
    {
        var transaction = await connection.BeginTransactionAsync(ct);
        await using (var setting = new NpgsqlCommand("set local enable_sort = off", connection, transaction))
            await setting.ExecuteNonQueryAsync(ct);
        return new NpgsqlCommand(sql, connection, transaction) { Parameters = { new() { Value = voucherId } } };
    }

    /// <summary>银行流水号: BG + business date + the journal entry's id, unique and traceable to the ledger.</summary>
    internal static string BankReference(string businessDate, long journalId) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"BG{businessDate}{journalId:D12}");

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
