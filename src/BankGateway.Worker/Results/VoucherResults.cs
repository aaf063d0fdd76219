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

    private async Task WriteResultRowsAsync(Completed v, Stream stream, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            select l.seq_no, l.name, l.id_number, l.account_no, l.amount_text, f.code, j.id, j.posted_at
            from voucher_lines l
            left join line_failures f on f.voucher_id = l.voucher_id and f.row_no = l.row_no
            left join journal j on j.voucher_id = l.voucher_id and j.kind = 'P' and j.side = 'C' and j.ref_no = l.row_no
            where l.voucher_id = $1
            order by l.row_no
            """, connection);
        command.Parameters.AddWithValue(v.Id);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, ct);
        await using var writer = new ResultCsvWriter(stream, leaveOpen: true);
        string datePart = v.BusinessDate.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        while (await reader.ReadAsync(ct))
        {
            string seq = reader.GetString(0), name = reader.GetString(1), id = reader.GetString(2), account = reader.GetString(3), amount = reader.GetString(4);
            short? code = reader.IsDBNull(5) ? null : reader.GetInt16(5);
            long? journalId = reader.IsDBNull(6) ? null : reader.GetInt64(6);
            DateTime? postedAt = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTime>(7);
            if (journalId is { } jid && code is null)
            {
                writer.Write(new ResultRow(seq, name, id, account, amount, true, "", "", BankReference(datePart, jid),
                    ChinaTime.Format(Utc(postedAt!.Value))));
            }
            else
            {
                var failure = (FailureCode)(code ?? throw new InvalidOperationException($"voucher {v.VoucherNo} line {seq} has no outcome"));
                writer.Write(new ResultRow(seq, name, id, account, amount, false, failure.ToString(), OutcomeTable.Reason(failure), "", ""));
            }
        }
    }

    /// <summary>银行流水号: BG + business date + the journal entry's id, unique and traceable to the ledger.</summary>
    internal static string BankReference(string businessDate, long journalId) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"BG{businessDate}{journalId:D12}");

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
