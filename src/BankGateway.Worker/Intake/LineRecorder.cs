using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;
using Npgsql;
using NpgsqlTypes;

namespace BankGateway.Worker.Intake;

/// <summary>
/// Records a voucher's lines durably with one binary COPY, inside the caller's transaction, so a
/// voucher is either recorded with all its lines or not at all. Lines are append-only afterwards.
/// </summary>
internal sealed class LineRecorder : IAsyncDisposable
{
    private const string Copy = """
        COPY voucher_lines (voucher_id, row_no, file_line, seq_no, name, id_number, account_no, dept_name,
                            subsidy_name, amount_text, amount_fen, period, phone, orig_voucher_no, orig_seq_no,
                            remark, precheck_code)
        FROM STDIN (FORMAT BINARY)
        """;

    private readonly NpgsqlBinaryImporter _importer;
    private readonly long _voucherId;
    private int _rowNo;

    private LineRecorder(NpgsqlBinaryImporter importer, long voucherId)
    {
        _importer = importer;
        _voucherId = voucherId;
    }

    public static async Task<LineRecorder> StartAsync(NpgsqlConnection connection, long voucherId, CancellationToken ct) =>
        new(await connection.BeginBinaryImportAsync(Copy, ct), voucherId);

    public int Rows => _rowNo;

    // Synchronous writes: the importer buffers, and an await per field costs more than the COPY itself.
    public void Write(IssuanceLine line, FailureCode precheck, long? reportedFen)
    {
        _rowNo++;
        var w = _importer;
        w.StartRow();
        w.Write(_voucherId, NpgsqlDbType.Bigint);
        w.Write(_rowNo, NpgsqlDbType.Integer);
        w.Write((int)line.FileLine, NpgsqlDbType.Integer);
        w.Write(line.SeqNo, NpgsqlDbType.Text);
        w.Write(line.Name, NpgsqlDbType.Text);
        w.Write(line.IdNumber, NpgsqlDbType.Text);
        w.Write(line.AccountNo, NpgsqlDbType.Text);
        w.Write(line.DeptName, NpgsqlDbType.Text);
        w.Write(line.SubsidyName, NpgsqlDbType.Text);
        w.Write(line.Amount, NpgsqlDbType.Text);
        if (reportedFen is { } fen) w.Write(fen, NpgsqlDbType.Bigint);
        else w.WriteNull();
        w.Write(line.Period, NpgsqlDbType.Text);
        w.Write(line.Phone, NpgsqlDbType.Text);
        w.Write(line.OrigVoucherNo, NpgsqlDbType.Text);
        w.Write(line.OrigSeqNo, NpgsqlDbType.Text);
        w.Write(line.Remark, NpgsqlDbType.Text);
        if (precheck == FailureCode.None) w.WriteNull();
        else w.Write((short)precheck, NpgsqlDbType.Smallint);
    }

    /// <summary>Completes the COPY; without this call disposing cancels it.</summary>
    public async Task<ulong> CompleteAsync(CancellationToken ct) => await _importer.CompleteAsync(ct);

    public ValueTask DisposeAsync() => _importer.DisposeAsync();
}
