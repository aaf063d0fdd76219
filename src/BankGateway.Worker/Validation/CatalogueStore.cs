using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Text;
using BankGateway.Domain.Vouchers;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.Validation;

/// <summary>R07 and the per-line cap: the catalogue entry for a voucher's year, department and subsidy.</summary>
internal sealed class CatalogueStore(NpgsqlDataSource db)
{
    private sealed record Row(int Year, string Level, string DeptName, string SubsidyCode, string SubsidyName, string FundChannel, string Frequency, long? LineCapFen);

    public async Task<CatalogueEntry?> FindAsync(int year, string deptName, string subsidyName, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition("""
            select year, level, dept_name, subsidy_code, subsidy_name, fund_channel, frequency, line_cap_fen
            from catalogue where year = @year and dept_name = @deptName and subsidy_name = @subsidyName
            """, new { year, deptName = CanonicalText.Of(deptName), subsidyName = CanonicalText.Of(subsidyName) }, cancellationToken: ct));
        return row is null ? null : new CatalogueEntry(row.Year, row.Level, row.DeptName, row.SubsidyCode, row.SubsidyName,
            Enum.Parse<FundChannel>(row.FundChannel), row.Frequency, row.LineCapFen is { } cap ? new Money(cap) : null);
    }
}
