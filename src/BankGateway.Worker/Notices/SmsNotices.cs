using BankGateway.Worker.Hosting;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.Notices;

/// <summary>Creates the SMS notices of one posting chunk, inside that chunk's transaction (see <see cref="SmsNoticeSql.Create"/>).</summary>
internal sealed class SmsNotices(SmsSettings settings)
{
    /// <summary>One statement for the credits of rows <paramref name="firstRow"/>..<paramref name="lastRow"/> of a voucher.</summary>
    public Task<int> CreateAsync(NpgsqlConnection connection, NpgsqlTransaction tx, long voucherId, string admDivCode, string voucherNo,
        string deptName, string subsidyName, string period, DateOnly businessDate, int firstRow, int lastRow, DateTimeOffset now) =>
        connection.ExecuteAsync(new CommandDefinition(SmsNoticeSql.Create, new
        {
            voucherId, firstRow, lastRow, now,
            idPrefix = $"{admDivCode}-{voucherNo}-",
            format = settings.Template.SqlFormat(subsidyName, deptName, period, businessDate),
        }, tx, commandTimeout: 0, cancellationToken: CancellationToken.None));
}
