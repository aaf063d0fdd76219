using BankGateway.Files.Formats;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.MasterData;

/// <summary>
/// The year's subsidy catalogue (补贴政策清单). An import replaces the years present in the file
/// and leaves other years alone; the catalogue is fixed per year by policy, so this is a rare act.
/// </summary>
internal sealed class CatalogueImport(NpgsqlDataSource db)
{
    public async Task<(int Entries, IReadOnlyList<int> Years)> ImportAsync(string file, CancellationToken ct)
    {
        await using var stream = File.OpenRead(file);
        var entries = CatalogueCsv.Read(stream, Path.GetFileName(file)).Select(r => r.Entry).ToList();
        var years = entries.Select(e => e.Year).Distinct().Order().ToList();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("delete from catalogue where year = any(@years)", new { years = years.ToArray() }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into catalogue (year, level, dept_name, subsidy_code, subsidy_name, fund_channel, frequency, line_cap_fen)
            values (@Year, @Level, @DeptName, @SubsidyCode, @SubsidyName, @FundChannel, @Frequency, @LineCapFen)
            """,
            entries.Select(e => new { e.Year, e.Level, e.DeptName, e.SubsidyCode, e.SubsidyName, FundChannel = e.FundChannel.ToString(), e.Frequency, LineCapFen = e.LineCap?.Fen }),
            tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (entries.Count, years);
    }
}
