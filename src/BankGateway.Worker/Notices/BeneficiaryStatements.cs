using BankGateway.Worker.Delivery;
using BankGateway.Domain;
using BankGateway.Domain.Statements;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Reconciliation;
using BankGateway.Worker.Results;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Notices;

/// <summary>
/// The quarterly 明白条 (contract §16): per bureau with any credit in the quarter, <c>MB_&lt;adm&gt;_&lt;yyyy&gt;Q&lt;n&gt;.csv</c>
/// + <c>.sig</c>, one row per credit (journal kind P, side C) whose voucher's business date falls in the quarter.
/// Only an ended quarter (China time) whose vouchers are all COMPLETED is written (otherwise a credit could still
/// come after the file); written once, never rewritten.
/// </summary>
internal sealed class BeneficiaryStatements(NpgsqlDataSource db, OutboundFiles outbound, ReconciliationStatements statements, GatewayClock clock,
    ILogger<BeneficiaryStatements> logger)
{
    /// <summary>One bureau's result: written, already written (unchanged), or refused (<see cref="Unfinished"/>).</summary>
    public sealed record Outcome(string AdmDivCode, StatementPeriod Quarter, string FileName, string? Path, bool New, bool DiffersFromDatabase,
        BeneficiaryStatement? Statement, IReadOnlyList<string> Unfinished)
    {
        public bool Refused => Unfinished.Count > 0;
    }

    private sealed record CreditRow(string AdmDivCode, string Name, string IdNumber, string SubsidyName, long AmountFen, DateOnly BusinessDate,
        string VoucherNo, int RowNo);

    public Task<IReadOnlyList<Outcome>> RunAsync(StatementPeriod quarter, string outbox, CancellationToken ct) => RunAsync(quarter, _ => outbox, ct);

    /// <exception cref="StatementRefusedException">The quarter has not ended yet (China time).</exception>
    public async Task<IReadOnlyList<Outcome>> RunAsync(StatementPeriod quarter, Func<string, string> outboxFor, CancellationToken ct)
    {
        if (quarter.Kind != PeriodKind.Quarter) throw new ArgumentException("明白条 are quarterly", nameof(quarter));
        var today = clock.Today;
        if (!quarter.HasEnded(today))
            throw new StatementRefusedException(
                $"the quarter {quarter.Label} has not ended yet (today is {today:yyyy-MM-dd} China time); its 明白条 can be made from {quarter.Last.AddDays(1):yyyy-MM-dd}.");

        Dictionary<string, long> journalTotals;
        List<(string Adm, string VoucherNo, string Status)> unfinished;
        var range = new { first = quarter.First, last = quarter.Last };
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            // The quarter's credits counted straight from the journal: each file must account for every one of them.
            journalTotals = (await connection.QueryAsync<(string Adm, long Fen)>(new CommandDefinition("""
                select v.adm_div_code, sum(j.amount_fen)::bigint from vouchers v
                join journal j on j.voucher_id = v.id and j.kind = 'P' and j.side = 'C'
                where v.business_date between @first and @last group by v.adm_div_code
                """, range, cancellationToken: ct))).ToDictionary(t => t.Adm, t => t.Fen, StringComparer.Ordinal);
            unfinished = (await connection.QueryAsync<(string, string, string)>(new CommandDefinition("""
                select adm_div_code, voucher_no, status from vouchers
                where business_date between @first and @last and status <> 'COMPLETED'
                order by business_date, voucher_no collate "C"
                """, range, cancellationToken: ct))).ToList();
        }

        var outcomes = new List<Outcome>();
        var bureaus = journalTotals.Keys.Concat(unfinished.Select(u => u.Adm)).Distinct().Order(StringComparer.Ordinal);
        foreach (var adm in bureaus)
        {
            string fileName = BeneficiaryStatementCsv.FileName(adm, quarter);
            var open = unfinished.Where(u => u.Adm == adm).Select(u => $"{u.VoucherNo} ({u.Status})").ToList();
            if (open.Count > 0)
            {
                logger.LogWarning("Statements: {File} not written: vouchers of {Quarter} not completed yet: {Vouchers}", fileName, quarter.Label, string.Join(", ", open));
                outcomes.Add(new Outcome(adm, quarter, fileName, null, false, false, null, open));
                continue;
            }
            var statement = BeneficiaryStatement.Build(adm, quarter, await CreditsAsync(adm, quarter, ct));
            long journal = journalTotals.GetValueOrDefault(adm);
            if (statement.Total.Fen != journal)
                throw new StatementTotalsException($"{fileName}: the rows add up to {statement.Total} but the journal credited {new Money(journal)} in {quarter.Label}");
            outcomes.Add(await WriteAsync(statement, fileName, outboxFor(adm), ct));
        }
        return outcomes;
    }

    /// <summary>One bureau's credits of the quarter (one bureau at a time keeps memory to the largest bureau).</summary>
    private async Task<List<BeneficiaryCredit>> CreditsAsync(string adm, StatementPeriod quarter, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<CreditRow>(new CommandDefinition("""
            select v.adm_div_code, l.name, coalesce(j.id_number, upper(l.id_number)) as id_number, v.subsidy_name, j.amount_fen,
                   v.business_date, v.voucher_no, l.row_no
            from vouchers v
            join journal j on j.voucher_id = v.id and j.kind = 'P' and j.side = 'C'
            join voucher_lines l on l.voucher_id = j.voucher_id and l.row_no = j.ref_no
            where v.adm_div_code = @adm and v.business_date between @first and @last
            """, new { adm, first = quarter.First, last = quarter.Last }, cancellationToken: ct));
        return rows.Select(c => new BeneficiaryCredit(c.Name, c.IdNumber, c.SubsidyName, new Money(c.AmountFen), c.BusinessDate, c.VoucherNo, c.RowNo)).ToList();
    }

    private async Task<Outcome> WriteAsync(BeneficiaryStatement statement, string fileName, string outbox, CancellationToken ct)
    {
        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            BeneficiaryStatementCsv.Write(statement, buffer);
            bytes = buffer.ToArray();
        }
        string source = $"beneficiaries:{statement.AdmDivCode}:{statement.Quarter.Label}";
        bool differs = await statements.RecordedDiffersAsync(fileName, source, Sm3.HashHex(bytes), ct);
        if (differs)
            logger.LogWarning("Statements: {File} was written earlier with other figures than the database gives now; the file written first stands (it is never rewritten)", fileName);
        var written = await outbound.EnsureAsync(outbox, fileName, "MB", statement.AdmDivCode, null, source,
            (stream, token) => stream.WriteAsync(bytes, token).AsTask(), ct);
        return new Outcome(statement.AdmDivCode, statement.Quarter, fileName, written.Path, written.New, differs, statement, []);
    }
}
