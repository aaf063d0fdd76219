using System.Data;
using System.Globalization;
using BankGateway.Domain.Calendar;
using BankGateway.Domain.Identity;
using BankGateway.Files.Formats;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Returns;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;
using Prometheus;

namespace BankGateway.Worker.Supervision;

/// <summary>
/// <c>anomalies run</c> (contract §15): runs every rule of <see cref="AnomalyRules"/> over the window in one snapshot
/// and writes <c>YC_&lt;from&gt;_&lt;to&gt;.csv</c> (<c>规则,说明,证件号码,银行账号,手机号码,凭证号,序号,金额</c>), personal
/// data masked but for the last 4 characters. Clean data writes the header only. The file is written atomically;
/// a re-run for the same window replaces it with the current findings.
/// </summary>
internal sealed class AnomalyRun(NpgsqlDataSource db, CalendarStore calendars, IConfiguration configuration, ILogger<AnomalyRun> logger)
{
    public const string SharedPhoneMinKey = "Gateway:Anomalies:SharedPhoneMin";

    public static readonly string[] Header = ["规则", "说明", "证件号码", "银行账号", "手机号码", "凭证号", "序号", "金额"];

    /// <summary>Lines found by each rule at this process's last run (0 when clean).</summary>
    public static readonly Gauge Found = Metrics.CreateGauge("bankgateway_anomalies_found",
        "Lines listed by each anomaly rule (A01–A05) at the last anomalies run of this process.", "rule");

    public sealed record Result(string Path, IReadOnlyDictionary<string, long> CountByRule);

    public static string FileName(DateOnly from, DateOnly to) =>
        string.Create(CultureInfo.InvariantCulture, $"YC_{from:yyyyMMdd}_{to:yyyyMMdd}.csv");

    public int SharedPhoneMin
    {
        get
        {
            string? text = configuration[SharedPhoneMinKey];
            if (string.IsNullOrWhiteSpace(text)) return 5;
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 2
                ? n : throw new SettingsException(SharedPhoneMinKey, $"'{text}' is not a whole number of at least 2");
        }
    }

    /// <summary>A05: the latest return date whose third working day after it is on or before <paramref name="asOf"/>.</summary>
    public static DateOnly A05Cutoff(WorkingDayCalendar calendar, DateOnly asOf)
    {
        var day = asOf;
        for (int i = 0; i < 366 && ThirdWorkingDayAfter(calendar, day) > asOf; i++) day = day.AddDays(-1);
        return day;
    }

    private static DateOnly ThirdWorkingDayAfter(WorkingDayCalendar calendar, DateOnly day)
    {
        for (int i = 0; i < 3; i++) day = calendar.NextWorkingDayAfter(day).Date;
        return day;
    }

    /// <summary>One line listed by one rule; personal data already masked but for the last 4 characters (<see cref="TailMask"/>).</summary>
    public sealed record Finding(AnomalyRules.Rule Rule, string IdNumber, string AccountNo, string Phone, string VoucherNo, string SeqNo, string Amount,
        long VoucherId, int RowNo);

    /// <summary>
    /// Every rule over the window in one REPEATABLE READ snapshot, as <see cref="RunAsync"/> lists them (same SQL, same masking),
    /// without writing a file or an audit entry: the dashboard's 异常线索 page. Only the first <paramref name="keepPerRule"/>
    /// findings of each rule are kept; the counts are complete.
    /// </summary>
    public async Task<(IReadOnlyList<Finding> Findings, IReadOnlyDictionary<string, long> CountByRule)> FindAsync(DateOnly from, DateOnly to,
        int keepPerRule, CancellationToken ct)
    {
        int sharedPhoneMin = SharedPhoneMin;
        var cutoff = A05Cutoff(await calendars.CurrentAsync(ct), to);
        var counts = AnomalyRules.All.ToDictionary(r => r.Code, _ => 0L);
        var findings = new List<Finding>();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await ReadAsync(connection, tx, from, to, sharedPhoneMin, cutoff, f =>
        {
            if (counts[f.Rule.Code]++ < keepPerRule) findings.Add(f);
        }, ct);
        await tx.CommitAsync(ct);
        return (findings, counts);
    }

    private static async Task ReadAsync(NpgsqlConnection connection, NpgsqlTransaction tx, DateOnly from, DateOnly to, int sharedPhoneMin, DateOnly cutoff,
        Action<Finding> each, CancellationToken ct)
    {
        foreach (var rule in AnomalyRules.All)
        {
            await using var command = new NpgsqlCommand(rule.Sql, connection, tx) { CommandTimeout = 0 };
            command.Parameters.AddWithValue("from", from);
            command.Parameters.AddWithValue("to", to);
            command.Parameters.AddWithValue("sharedPhoneMin", sharedPhoneMin);
            command.Parameters.AddWithValue("a05Cutoff", cutoff);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                each(new Finding(rule, TailMask.KeepLast4(reader.GetString(0)), TailMask.KeepLast4(reader.GetString(1)),
                    TailMask.KeepLast4(reader.GetString(2)), reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? "" : reader.GetString(5),
                    reader.GetInt64(6), reader.GetInt32(7)));
            }
        }
    }

    public async Task<Result> RunAsync(DateOnly from, DateOnly to, string outDir, string actor, CancellationToken ct)
    {
        int sharedPhoneMin = SharedPhoneMin;
        var cutoff = A05Cutoff(await calendars.CurrentAsync(ct), to);
        Directory.CreateDirectory(outDir);
        string path = Path.Combine(outDir, FileName(from, to));
        var counts = AnomalyRules.All.ToDictionary(r => r.Code, _ => 0L);

        await using var connection = await db.OpenConnectionAsync(ct);
        await AtomicFile.WriteAsync(path, async (stream, token) =>
        {
            await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, token);
            await using var csv = new EscapedCsvWriter(stream, Header, leaveOpen: true);
            await ReadAsync(connection, tx, from, to, sharedPhoneMin, cutoff, f =>
            {
                csv.Write([f.Rule.Code, f.Rule.Description, f.IdNumber, f.AccountNo, f.Phone, f.VoucherNo, f.SeqNo, f.Amount]);
                counts[f.Rule.Code]++;
            }, token);
            csv.Flush();
            await tx.CommitAsync(token);
        }, ct);

        foreach (var (rule, n) in counts) Found.WithLabels(rule).Set(n);
        string summary = string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"));
        await AuditChain.AppendAsync(connection, null, actor, "anomalies.run", FileName(from, to), $"{from:yyyy-MM-dd}..{to:yyyy-MM-dd}: {summary}", ct);
        logger.LogInformation("Anomalies {From}..{To}: {Summary} (A05 returns executed on or before {Cutoff})", from, to, summary, cutoff);
        return new Result(path, counts);
    }
}
