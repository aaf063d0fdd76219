using BankGateway.Testing.Vouchers;
using Dapper;
using Npgsql;

namespace BankGateway.Pipeline.Tests.Supervision;

/// <summary>
/// Plants vouchers, lines, credits, failures and returns straight into the tables, as the posting and return stages
/// would have left them, so each anomaly rule gets exactly the history it is about (dates, 区划, periods).
/// People and accounts are <see cref="LargeVoucher"/>'s numbered ones. Rows are created in their final states, which
/// the status trigger allows only under bankgateway.override (and records as such).
/// </summary>
internal sealed class Planter(NpgsqlDataSource db)
{
    public static DateTimeOffset China(int year, int month, int day, int hour = 10) => new DateTimeOffset(year, month, day, hour, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    public async Task<long> VoucherAsync(string admDivCode, string voucherNo, DateOnly businessDate, string dept = LargeVoucher.DeptName,
        string subsidy = LargeVoucher.SubsidyName, string period = LargeVoucher.Period)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            insert into vouchers (adm_div_code, voucher_no, content_sm3, status, business_date, received_at, completed_at, vt_code, st_year, vou_date,
                                  dept_code, dept_name, subsidy_code, subsidy_name, period, pay_acct_no, pay_acct_name, fund_channel, return_acct_no,
                                  return_acct_name, pay_amt_fen, detail_count, detail_file, detail_file_sm3, detail_encoding, payment_key)
            select @admDivCode, @voucherNo, md5(@voucherNo), 'COMPLETED', @businessDate, @at, @at, '5201', 2024, @businessDate,
                    '105001', @dept, 'MZ001', @subsidy, @period, '2401009900012345', '民政局零余额账户', 'TREASURY', '2401009900000001',
                    '财政局国库单一账户', 0, 0, 'QC_' || @voucherNo || '.csv', md5(@voucherNo), 'UTF-8', @dept || '|' || @subsidy || '|' || @period
            from (select set_config('bankgateway.override', 'planted by a test', true)) o
            returning id
            """, new { admDivCode, voucherNo, businessDate, dept, subsidy, period, at = businessDate.ToDateTime(new TimeOnly(2, 0), DateTimeKind.Utc) });
    }

    /// <summary>One line of person <paramref name="person"/>; paid (a P credit at <paramref name="paidAt"/>) or failed with <paramref name="failCode"/>.</summary>
    public async Task LineAsync(long voucherId, int row, long person, string? account = null, string phone = "", DateTimeOffset? paidAt = null,
        short? failCode = null, string origVoucher = "", string origSeq = "", long amountFen = 35_000)
    {
        account ??= LargeVoucher.Account(person);
        string id = LargeVoucher.IdNumber(person);
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into voucher_lines (voucher_id, row_no, file_line, seq_no, name, id_number, account_no, dept_name, subsidy_name, amount_text, amount_fen,
                                       period, phone, orig_voucher_no, orig_seq_no, remark, precheck_code)
            select v.id, @row, @row + 1, @row::text, @name, @id, @account, v.dept_name, v.subsidy_name, fen_text(@amountFen), @amountFen,
                   v.period, @phone, @origVoucher, @origSeq, '', null
            from vouchers v where v.id = @voucherId
            """, new { voucherId, row, name = LargeVoucher.Name(person), id, account, amountFen, phone, origVoucher, origSeq });
        if (paidAt is { } at)
        {
            await connection.ExecuteAsync("""
                insert into journal (voucher_id, kind, side, ref_no, account_no, amount_fen, narrative, id_number, subsidy_key, business_date, posted_at)
                select v.id, 'P', 'C', @row, @account, @amountFen, 'planted', upper(@id), v.dept_name || '|' || v.subsidy_name || '|' || v.period,
                       v.business_date, @at
                from vouchers v where v.id = @voucherId
                """, new { voucherId, row, account, amountFen, id, at });
        }
        if (failCode is { } code)
            await connection.ExecuteAsync("insert into line_failures (voucher_id, row_no, code) values (@voucherId, @row, @code)", new { voucherId, row, code });
    }

    /// <summary>The voucher's return, executed at 10:00 China time on <paramref name="executed"/>.</summary>
    public async Task ReturnAsync(long voucherId, DateOnly executed)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            insert into returns (voucher_id, due_date, due_covered, return_count, return_fen, status, executed_at, executed_by)
            select @voucherId, @executed, true, count(*), coalesce(sum(l.amount_fen), 0), 'EXECUTED', @at, 'planted'
            from line_failures f join voucher_lines l using (voucher_id, row_no)
            cross join (select set_config('bankgateway.override', 'planted by a test', true)) o
            where f.voucher_id = @voucherId
            """, new { voucherId, executed, at = China(executed.Year, executed.Month, executed.Day) });
    }
}
