using BankGateway.Domain.Codes;
using BankGateway.Domain.Vouchers;
using BankGateway.Testing.Postgres;
using BankGateway.Worker.Intake;
using Dapper;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// The lines' binary COPY is encoded by the product itself (D62): every field must reach PostgreSQL exactly as read,
/// whatever its text, and a COPY left unfinished must leave nothing behind and the connection usable.
/// </summary>
[TestFixture]
public sealed class LineRecorderTests
{
    private static readonly string LongRemark = string.Concat(Enumerable.Repeat("备注𠀀x", 30_000)); // 210,000 chars: over the 64 KiB buffer

    private static readonly (IssuanceLine Line, FailureCode Code, long? Fen)[] Lines =
    [
        (new IssuanceLine(2, "1", "张三", "52272619800101001X", "6217000000000000001", "独山县农业农村局", "耕地地力保护补贴", "350.00",
            "2024", "13800000000", "", "", ""), FailureCode.None, 35_000),
        (new IssuanceLine(3, "2", "", "", "", "", "", "", "", "", "", "", ""), FailureCode.F01, null),
        // A supplementary-plane name (a surrogate pair in .NET), a full-width space, a backslash, a tab and a NBSP: all kept.
        (new IssuanceLine(4, "3", "𠀀李\u3000四", "a\\b\tc", "6217\u00a0", "部门", "补贴", "9999999999999.99", "2024-09", "1", "ZF2024000001", "7",
            LongRemark), FailureCode.F05, 999_999_999_999_999L),
        (new IssuanceLine(int.MaxValue, "4", "王五", "x", "y", "z", "w", "-1.00", "p", "", "", "", "末行"), (FailureCode)15, -100),
    ];

    [Test]
    public async Task Every_field_is_recorded_as_read_including_text_longer_than_the_buffer()
    {
        var server = await TestDatabase.GetSharedAsync();
        await using var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"));
        await using (var connection = await gateway.Db.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using (var recorder = await LineRecorder.StartAsync(connection, 77, CancellationToken.None))
            {
                foreach (var (line, code, fen) in Lines) recorder.Write(line, code, fen);
                Assert.That(recorder.Rows, Is.EqualTo(Lines.Length));
                await recorder.CompleteAsync(CancellationToken.None);
            }
            await tx.CommitAsync();
        }

        await using var read = await gateway.Db.OpenConnectionAsync();
        var rows = (await read.QueryAsync<Row>("""
            select row_no as RowNo, file_line as FileLine, seq_no as SeqNo, name as Name, id_number as IdNumber, account_no as AccountNo,
                   dept_name as DeptName, subsidy_name as SubsidyName, amount_text as AmountText, amount_fen as AmountFen, period as Period,
                   phone as Phone, orig_voucher_no as OrigVoucherNo, orig_seq_no as OrigSeqNo, remark as Remark, precheck_code as PrecheckCode
            from voucher_lines where voucher_id = 77 order by row_no
            """)).ToList();
        Assert.That(rows, Has.Count.EqualTo(Lines.Length));
        for (int i = 0; i < Lines.Length; i++)
        {
            var (line, code, fen) = Lines[i];
            var expected = new Row(i + 1, (int)line.FileLine, line.SeqNo, line.Name, line.IdNumber, line.AccountNo, line.DeptName, line.SubsidyName,
                line.Amount, fen, line.Period, line.Phone, line.OrigVoucherNo, line.OrigSeqNo, line.Remark,
                code == FailureCode.None ? null : (short)code);
            Assert.That(rows[i], Is.EqualTo(expected), $"row {i + 1}");
        }
    }

    [Test]
    public async Task A_COPY_disposed_unfinished_records_nothing_and_leaves_the_connection_usable()
    {
        var server = await TestDatabase.GetSharedAsync();
        await using var gateway = await GatewayHarness.StartAsync(await server.CreateDatabaseAsync(GetType()), SampleFiles.Key("bank_private.pem"));
        await using var connection = await gateway.Db.OpenConnectionAsync();
        await using (var recorder = await LineRecorder.StartAsync(connection, 78, CancellationToken.None))
        {
            for (int i = 0; i < 5_000; i++) recorder.Write(Lines[0].Line, FailureCode.None, 35_000); // past one buffer flush
        }
        Assert.That(await connection.ExecuteScalarAsync<long>("select count(*) from voucher_lines where voucher_id = 78"), Is.Zero);
    }

    private sealed record Row(int RowNo, int FileLine, string SeqNo, string Name, string IdNumber, string AccountNo, string DeptName, string SubsidyName,
        string AmountText, long? AmountFen, string Period, string Phone, string OrigVoucherNo, string OrigSeqNo, string Remark, short? PrecheckCode);
}
