using BankGateway.Worker.Delivery;
using System.Data;
using System.Globalization;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Results;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Supervision;

/// <summary>
/// <c>supervision export</c> (contract §15): the folder <c>JG_&lt;from&gt;_&lt;to&gt;/</c> with vouchers.csv, lines.csv,
/// returns.csv, clearing.csv, audit.csv and manifest.csv (<c>file,sm3,rows</c>) signed by the bank key. Every file
/// is read in one REPEATABLE READ snapshot and streamed row by row to disk (never held in memory). The package is
/// built in a hidden folder next to the target and renamed into place at the end; an existing package is never
/// overwritten. Columns: specs/supervision.md.
/// </summary>
internal sealed class SupervisionExport(NpgsqlDataSource db, BankKey bankKey, ILogger<SupervisionExport> logger)
{
    public sealed record ExportedFile(string Name, string Sm3, long Rows);

    public sealed record Result(string Folder, IReadOnlyList<ExportedFile> Files, string ManifestSm3);

    public sealed record ExportFile(string Name, string[] Header, string Sql);

    private static string China(string column) => $"to_char({column} at time zone 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS')";

    private const string InWindow = "v.business_date between @from and @to";

    /// <summary>The data files of the package, in manifest order; each SQL returns text columns matching its header.</summary>
    public static readonly IReadOnlyList<ExportFile> Files =
    [
        new("vouchers.csv",
            ["区划", "凭证号", "业务日期", "状态", "凭证类型", "预算年度", "凭证日期", "主管部门编码", "主管部门", "补贴编码", "补贴名称", "期间",
             "付款账号", "付款户名", "资金渠道", "退回账号", "退回户名", "金额", "笔数", "成功笔数", "成功金额", "失败笔数", "失败金额",
             "补发原凭证号", "接收时间", "完成时间", "凭证SM3", "明细文件", "明细文件SM3"],
            $"""
            select v.adm_div_code, v.voucher_no, v.business_date::text, v.status, v.vt_code, v.st_year::text, v.vou_date::text, v.dept_code, v.dept_name,
                   v.subsidy_code, v.subsidy_name, v.period, v.pay_acct_no, v.pay_acct_name, v.fund_channel, v.return_acct_no, v.return_acct_name,
                   fen_text(v.pay_amt_fen), v.detail_count::text, v.paid_count::text, fen_text(v.paid_fen), v.failed_count::text, fen_text(v.failed_fen),
                   v.reissue_of, {China("v.received_at")}, {China("v.completed_at")}, v.content_sm3, v.detail_file, v.detail_file_sm3
            from vouchers v
            where {InWindow}
            order by v.business_date, v.adm_div_code, v.voucher_no
            """),
        new("lines.csv",
            ["区划", "凭证号", "序号", "姓名", "证件号码", "银行账号", "手机号码", "补贴名称", "期间", "金额", "结果", "银行流水号", "入账时间",
             "退回日期", "退回执行时间", "补发凭证号", "补发序号", "原凭证号", "原序号"],
            $"""
            with links as (
                select k.orig_voucher_id, k.orig_row_no,
                       string_agg(k.reissue_voucher_no, ';' order by k.reissue_voucher_id, k.reissue_row_no) as voucher_nos,
                       string_agg(k.reissue_seq_no, ';' order by k.reissue_voucher_id, k.reissue_row_no) as seq_nos
                from reissue_links k
                where k.orig_voucher_id is not null
                group by k.orig_voucher_id, k.orig_row_no)
            select v.adm_div_code, v.voucher_no, l.seq_no, l.name, l.id_number, l.account_no, l.phone, l.subsidy_name, l.period,
                   coalesce(fen_text(l.amount_fen), l.amount_text),
                   case when f.code is not null then 'F' || lpad(f.code::text, 2, '0') when j.id is not null then '成功' else '' end,
                   j.id::text, {China("j.posted_at")},
                   case when f.code is not null then r.due_date::text end, case when f.code is not null then {China("r.executed_at")} end,
                   k.voucher_nos, k.seq_nos, nullif(l.orig_voucher_no, ''), nullif(l.orig_seq_no, '')
            from vouchers v
            join voucher_lines l on l.voucher_id = v.id
            left join line_failures f on f.voucher_id = l.voucher_id and f.row_no = l.row_no
            left join journal j on j.voucher_id = l.voucher_id and j.kind = 'P' and j.side = 'C' and j.ref_no = l.row_no
            left join returns r on r.voucher_id = v.id
            left join links k on k.orig_voucher_id = l.voucher_id and k.orig_row_no = l.row_no
            where {InWindow}
            order by v.business_date, v.adm_div_code, v.voucher_no, l.row_no
            """),
        new("returns.csv",
            ["区划", "凭证号", "资金渠道", "退回账号", "退回户名", "退回日期", "日期已覆盖", "笔数", "金额", "状态", "执行时间", "执行人", "退回流水号"],
            $"""
            select v.adm_div_code, v.voucher_no, v.fund_channel, v.return_acct_no, v.return_acct_name, r.due_date::text,
                   case when r.due_covered then '是' else '否' end, r.return_count::text, fen_text(r.return_fen), r.status,
                   {China("r.executed_at")}, r.executed_by,
                   (select min(j.id)::text from journal j where j.voucher_id = r.voucher_id and j.kind = 'R' and j.side = 'C')
            from returns r
            join vouchers v on v.id = r.voucher_id
            where {InWindow}
            order by v.business_date, v.adm_div_code, v.voucher_no
            """),
        new("clearing.csv",
            ["区划", "清算日期", "凭证笔数", "金额", "文件名", "生成时间"],
            $"""
            select c.adm_div_code, c.clear_date::text, c.voucher_count::text, fen_text(c.total_fen), c.file_name, {China("c.created_at")}
            from clearing_requests c
            where c.clear_date between @from and @to
            order by c.clear_date, c.adm_div_code
            """),
        new("audit.csv",
            ["编号", "时间", "操作人", "动作", "对象", "详情", "前序SM3", "本条SM3"],
            $"""
            select a.id::text, {China("a.at")}, a.actor, a.action, a.subject, a.detail, a.prev_sm3, a.entry_sm3
            from audit_log a
            where a.at >= @from::timestamp at time zone 'Asia/Shanghai' and a.at < (@to + 1)::timestamp at time zone 'Asia/Shanghai'
            order by a.id
            """),
    ];

    public static string FolderName(DateOnly from, DateOnly to) =>
        string.Create(CultureInfo.InvariantCulture, $"JG_{from:yyyyMMdd}_{to:yyyyMMdd}");

    /// <exception cref="IOException">The package folder exists already (it is never overwritten).</exception>
    public async Task<Result> RunAsync(DateOnly from, DateOnly to, string outDir, string actor, CancellationToken ct)
    {
        var key = bankKey.Key; // fail before writing anything when the key is missing
        string name = FolderName(from, to);
        Directory.CreateDirectory(outDir);
        string folder = Path.GetFullPath(Path.Combine(outDir, name));
        if (Directory.Exists(folder) || File.Exists(folder))
            throw new IOException($"{folder} exists already; a supervision package is never overwritten (move it away to export again)");

        string partial = Path.Combine(outDir, $".{name}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(partial);
        var exported = new List<ExportedFile>();
        try
        {
            await using (var connection = await db.OpenConnectionAsync(ct))
            await using (var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct))
            {
                foreach (var file in Files)
                {
                    long rows = await WriteAsync(connection, tx, file, Path.Combine(partial, file.Name), from, to, ct);
                    exported.Add(new ExportedFile(file.Name, await Sm3.HashFileHexAsync(Path.Combine(partial, file.Name), ct), rows));
                    logger.LogInformation("Supervision export: {File} {Rows} rows", file.Name, rows);
                }
                await tx.CommitAsync(ct);
            }

            string manifest = Path.Combine(partial, "manifest.csv");
            await using (var stream = File.Create(manifest))
            await using (var csv = new EscapedCsvWriter(stream, ["file", "sm3", "rows"]))
            {
                foreach (var f in exported) csv.Write([f.Name, f.Sm3, f.Rows.ToString(CultureInfo.InvariantCulture)]);
            }
            SignatureFile.Write(manifest, key);
            string manifestSm3 = await Sm3.HashFileHexAsync(manifest, ct);

            Directory.Move(partial, folder);

            await using (var connection = await db.OpenConnectionAsync(ct))
            {
                await AuditChain.AppendAsync(connection, null, actor, "supervision.export", name,
                    $"{from:yyyy-MM-dd}..{to:yyyy-MM-dd}: " + string.Join(", ", exported.Select(f => $"{f.Name} {f.Rows}")) + $"; manifest.csv SM3 {manifestSm3}", ct);
            }
            return new Result(folder, exported, manifestSm3);
        }
        catch
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            throw;
        }
    }

    private static async Task<long> WriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ExportFile file, string path, DateOnly from, DateOnly to,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(file.Sql, connection, tx) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        if (reader.FieldCount != file.Header.Length)
            throw new InvalidOperationException($"{file.Name}: the query returns {reader.FieldCount} columns for a header of {file.Header.Length}");
        await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        await using var csv = new EscapedCsvWriter(stream, file.Header);
        var cells = new string?[file.Header.Length];
        while (await reader.ReadAsync(ct))
        {
            for (int i = 0; i < cells.Length; i++) cells[i] = await reader.IsDBNullAsync(i, ct) ? null : reader.GetString(i);
            csv.Write(cells);
        }
        return csv.RowsWritten;
    }
}
