using BankGateway.Worker.Delivery;
using BankGateway.Domain;
using BankGateway.Domain.Statements;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Results;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Reconciliation;

/// <summary>
/// Month-end and year-end reconciliation statements (日清月结, contract §14): per bureau with any activity in the
/// period (an accepted voucher of the period, or a QS_ dated in it), <c>DZ_&lt;adm&gt;_&lt;yyyyMM|yyyy&gt;.xml</c> + <c>.sig</c>.
/// Only a period that has ended (China time) is stated, and only when every voucher of the period is COMPLETED:
/// a bureau with a voucher still received, held or posting is refused, naming the vouchers, and written by a
/// later run once they complete. A file is written once (through <see cref="OutboundFiles"/>) and never rewritten.
/// </summary>
internal sealed class ReconciliationStatements(NpgsqlDataSource db, OutboundFiles outbound, GatewayClock clock, ILogger<ReconciliationStatements> logger)
{
    /// <summary>One bureau's result: written (<see cref="New"/>), already written (unchanged), or refused (<see cref="Unfinished"/> names why).</summary>
    public sealed record Outcome(string AdmDivCode, StatementPeriod Period, string FileName, string? Path, bool New, bool DiffersFromDatabase,
        ReconciliationStatement? Statement, IReadOnlyList<string> Unfinished)
    {
        public bool Refused => Unfinished.Count > 0;
    }

    private sealed record VoucherRow(long Id, string AdmDivCode, string VoucherNo, DateOnly BusinessDate, VoucherStatus Status, string FundChannel,
        long PayAmtFen, long PaidFen, long FailedFen, DateOnly? ReturnDate, long? ReturnFen, DateTime? ReturnExecutedAt, DateOnly? ClearDate);

    public Task<IReadOnlyList<Outcome>> RunAsync(StatementPeriod period, string outbox, CancellationToken ct) => RunAsync(period, _ => outbox, ct);

    /// <summary>States the period for every bureau with activity in it, each into its own outbox.</summary>
    /// <exception cref="StatementRefusedException">The period has not ended yet (China time).</exception>
    public async Task<IReadOnlyList<Outcome>> RunAsync(StatementPeriod period, Func<string, string> outboxFor, CancellationToken ct)
    {
        if (period.Kind == PeriodKind.Quarter) throw new ArgumentException("DZ_ statements are monthly or yearly", nameof(period));
        var today = clock.Today;
        if (!period.HasEnded(today))
            throw new StatementRefusedException(
                $"the period {period.Label} has not ended yet (today is {today:yyyy-MM-dd} China time); its statement can be made from {period.Last.AddDays(1):yyyy-MM-dd}.");

        var outcomes = new List<Outcome>();
        foreach (var computed in await ComputeAsync(period, ct))
        {
            if (computed.Statement is null)
            {
                logger.LogWarning("Statements: {File} not written: vouchers of {Period} not completed yet: {Vouchers}", computed.FileName, period.Label, string.Join(", ", computed.Unfinished));
                outcomes.Add(new Outcome(computed.AdmDivCode, period, computed.FileName, null, false, false, null, computed.Unfinished));
                continue;
            }
            outcomes.Add(await WriteAsync(computed.Statement, computed.FileName, outboxFor(computed.AdmDivCode), ct));
        }
        return outcomes;
    }

    /// <summary>
    /// One bureau's figures for a period as the DZ_ states them (<see cref="Statement"/>), or, while a voucher of the period is
    /// unfinished, null with <see cref="Unfinished"/> naming them. <see cref="VoucherIds"/> maps each line's VoucherNo to its id.
    /// </summary>
    public sealed record Computed(string AdmDivCode, string FileName, ReconciliationStatement? Statement, IReadOnlyList<string> Unfinished,
        IReadOnlyDictionary<string, long> VoucherIds);

    /// <summary>
    /// The figures of every bureau with activity in the period, exactly as <see cref="RunAsync(StatementPeriod, Func{string, string}, CancellationToken)"/>
    /// writes them (the one place they are computed; the dashboard's 对账 page shows these). Reads only, never writes; does not
    /// check that the period has ended (the caller says so).
    /// </summary>
    public async Task<IReadOnlyList<Computed>> ComputeAsync(StatementPeriod period, CancellationToken ct)
    {
        if (period.Kind == PeriodKind.Quarter) throw new ArgumentException("DZ_ statements are monthly or yearly", nameof(period));
        List<VoucherRow> vouchers;
        Dictionary<string, long> cleared;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            vouchers = (await connection.QueryAsync<VoucherRow>(new CommandDefinition($"""
                select v.id, v.adm_div_code, v.voucher_no, v.business_date, v.status, v.fund_channel, v.pay_amt_fen, v.paid_fen, v.failed_fen,
                       r.due_date as return_date, r.return_fen, case when r.status = 'EXECUTED' then r.executed_at end as return_executed_at,
                       {ClearDates.Of("v")} as clear_date
                from vouchers v
                left join returns r on r.voucher_id = v.id
                where v.business_date between @first and @last
                """, new { first = period.First, last = period.Last }, cancellationToken: ct))).ToList();
            cleared = (await connection.QueryAsync<(string Adm, long Fen)>(new CommandDefinition("""
                select adm_div_code, sum(total_fen)::bigint from clearing_requests
                where clear_date between @first and @last group by adm_div_code
                """, new { first = period.First, last = period.Last }, cancellationToken: ct))).ToDictionary(c => c.Adm, c => c.Fen, StringComparer.Ordinal);
        }

        var computed = new List<Computed>();
        var bureaus = vouchers.Select(v => v.AdmDivCode).Concat(cleared.Keys).Distinct().Order(StringComparer.Ordinal);
        foreach (var adm in bureaus)
        {
            var mine = vouchers.Where(v => v.AdmDivCode == adm).ToList();
            string fileName = ReconciliationStatementXml.FileName(adm, period);
            var ids = mine.ToDictionary(v => v.VoucherNo, v => v.Id, StringComparer.Ordinal);
            var unfinished = mine.Where(v => v.Status != VoucherStatus.Completed)
                .OrderBy(v => v.BusinessDate).ThenBy(v => v.VoucherNo, StringComparer.Ordinal)
                .Select(v => $"{v.VoucherNo} ({v.Status})").ToList();
            if (unfinished.Count > 0)
            {
                computed.Add(new Computed(adm, fileName, null, unfinished, ids));
                continue;
            }
            var statement = ReconciliationStatement.FromLines(adm, period, mine.Select(v => LineOf(v, period)),
                new Money(cleared.GetValueOrDefault(adm)));
            computed.Add(new Computed(adm, fileName, statement, [], ids));
        }
        return computed;
    }

    /// <summary>The bytes of the DZ_ file for <paramref name="statement"/>, as written.</summary>
    public static byte[] Bytes(ReconciliationStatement statement)
    {
        using var buffer = new MemoryStream();
        ReconciliationStatementXml.Write(statement, buffer);
        return buffer.ToArray();
    }

    private static StatementLine LineOf(VoucherRow v, StatementPeriod period)
    {
        // Returned within the period: executed (China time) on or before its last day. Later, it is pending at period end.
        bool returned = v.ReturnExecutedAt is { } at
            && DateOnly.FromDateTime(new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToOffset(ChinaTime.Offset).DateTime) <= period.Last;
        return new StatementLine(v.VoucherNo, v.BusinessDate, Enum.Parse<FundChannel>(v.FundChannel), new Money(v.PayAmtFen), new Money(v.PaidFen),
            new Money(v.FailedFen), returned ? new Money(v.ReturnFen ?? 0) : Money.Zero, v.FailedFen > 0 ? v.ReturnDate : null, v.ClearDate);
    }

    private async Task<Outcome> WriteAsync(ReconciliationStatement statement, string fileName, string outbox, CancellationToken ct)
    {
        byte[] bytes = Bytes(statement);
        string source = $"statement:{statement.AdmDivCode}:{statement.Period.Label}";
        bool differs = await RecordedDiffersAsync(fileName, source, Sm3.HashHex(bytes), ct);
        if (differs)
            logger.LogWarning("Statements: {File} was written earlier with other figures than the database gives now; the file written first stands (it is never rewritten)", fileName);
        var written = await outbound.EnsureAsync(outbox, fileName, "DZ", statement.AdmDivCode, null, source,
            (stream, token) => stream.WriteAsync(bytes, token).AsTask(), ct);
        return new Outcome(statement.AdmDivCode, statement.Period, fileName, written.Path, written.New, differs, statement, []);
    }

    /// <summary>True when the file was recorded for this source with another digest than <paramref name="sm3"/>.</summary>
    internal async Task<bool> RecordedDiffersAsync(string fileName, string source, string sm3, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var recorded = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "select sm3 from outbound_files where file_name = @fileName and source = @source", new { fileName, source }, cancellationToken: ct));
        return recorded is not null && !string.Equals(recorded, sm3, StringComparison.OrdinalIgnoreCase);
    }
}
