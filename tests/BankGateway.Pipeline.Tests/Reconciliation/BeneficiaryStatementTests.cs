using System.Text;
using BankGateway.Domain;
using BankGateway.Files.Formats;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Domain.Statements;
using BankGateway.Worker.Notices;
using BankGateway.Worker.Reconciliation;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Reconciliation;

/// <summary>
/// The quarterly 明白条 MB_ (contract §16) over <see cref="StatementMonth"/>: 蒙春燕 is credited three times in Q3
/// 2024 (August, and twice in September); the file lists every credit of the quarter grouped by person, each
/// person's total on the last row, and adds up to the journal's credits and the RS_ files to the fen.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class BeneficiaryStatementTests
{
    private StatementMonth _month = null!;

    [OneTimeSetUp]
    public async Task Build() => _month = await StatementMonth.BuildAsync("beneficiary_statements");

    [OneTimeTearDown]
    public async Task Cleanup() => await _month.DisposeAsync();

    private BeneficiaryStatements Service => _month.Gateway.Get<BeneficiaryStatements>();

    private async Task<BeneficiaryStatements.Outcome> QuarterAsync()
    {
        _month.At(2024, 10, 8);
        var outcomes = await Service.RunAsync(StatementPeriod.Quarter(2024, 3), _month.Statements, CancellationToken.None);
        Assert.That(outcomes, Has.Count.EqualTo(1));
        Assert.That(outcomes[0].Refused, Is.False, string.Join(", ", outcomes[0].Unfinished));
        return outcomes[0];
    }

    private static Money M(string yuan) => Money.Parse(yuan);

    [Test]
    public async Task Every_credit_of_the_quarter_grouped_by_person_with_each_persons_total_on_the_last_row()
    {
        var outcome = await QuarterAsync();
        Assert.That(Path.GetFileName(outcome.Path), Is.EqualTo("MB_522726_2024Q3.csv"));
        byte[] bytes = File.ReadAllBytes(outcome.Path!);
        Assert.That(bytes.Take(3), Is.Not.EqualTo(new byte[] { 0xEF, 0xBB, 0xBF }), "UTF-8 without BOM, like RS_");
        string[] records = Encoding.UTF8.GetString(bytes).Split("\r\n");
        Assert.That(records[0], Is.EqualTo("姓名,证件号码,补贴项目名称,补贴金额,补贴发放时间,补贴合计"));
        Assert.That(records[^1], Is.Empty, "every record ends with CRLF");
        var rows = records[1..^1].Select(r => r.Split(',')).ToList();
        Assert.That(rows, Has.All.Length.EqualTo(6));

        // Grouped by person in 证件号码 order; a person's total only on the last row, equal to the person's credits.
        var ids = rows.Select(r => r[1]).ToList();
        Assert.That(ids, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        for (int i = 0; i < rows.Count; i++)
        {
            bool last = i == rows.Count - 1 || rows[i + 1][1] != rows[i][1];
            Assert.That(rows[i][5], last ? Is.Not.Empty : Is.Empty, $"row {i + 2}");
            if (last)
                Assert.That(M(rows[i][5]), Is.EqualTo(rows.Where(r => r[1] == rows[i][1]).Aggregate(Money.Zero, (a, r) => a + M(r[3]))), rows[i][1]);
            Assert.That(rows[i][4], Does.Match(@"^2024-0[789]-\d{2}$"));
            Assert.That(rows[i][3], Does.Match(@"^(0|[1-9]\d*)\.\d{2}$"));
        }

        var meng = rows.Where(r => r[1] == StatementMonth.Meng).ToList();
        Assert.That(meng.Select(r => r[4]), Is.EqualTo(new[] { "2024-08-30", "2024-09-27", "2024-09-30" }), "by date within the person");
        Assert.That(meng.Select(r => r[0]).Distinct(), Is.EqualTo(new[] { "蒙春燕" }));
        Assert.That(meng.Select(r => r[5]), Is.EqualTo(new[] { "", "", "1603.50" }), "500.00 + 450.00 + 653.50");
        Assert.That(meng.Select(r => r[2]).Distinct(), Is.EqualTo(new[] { "城乡居民最低生活保障金" }));

        // Totals to the fen: rows = persons' totals = the journal's credits = the RS_ 成功 rows of the quarter's vouchers.
        Money rowsTotal = rows.Aggregate(Money.Zero, (a, r) => a + M(r[3]));
        Money personsTotal = rows.Where(r => r[5].Length > 0).Aggregate(Money.Zero, (a, r) => a + M(r[5]));
        long journal = await _month.Gateway.ScalarAsync<long>("""
            select sum(j.amount_fen)::bigint from journal j join vouchers v on v.id = j.voucher_id
            where j.kind = 'P' and j.side = 'C' and v.business_date between '2024-07-01' and '2024-09-30'
            """);
        var paid = Directory.GetFiles(_month.Outbox, "RS_522726_*.csv").SelectMany(f =>
        {
            using var s = File.OpenRead(f);
            using var reader = new ResultCsvReader(s, Path.GetFileName(f));
            return reader.ReadRows().Where(r => r.Success).ToList();
        }).ToList();
        Assert.That(personsTotal, Is.EqualTo(rowsTotal));
        Assert.That(rowsTotal.Fen, Is.EqualTo(journal));
        Assert.That(rowsTotal, Is.EqualTo(paid.Aggregate(Money.Zero, (a, r) => a + M(r.Amount))));
        Assert.That(rows, Has.Count.EqualTo(paid.Count), "one row per credit");
        Assert.That(outcome.Statement!.Total, Is.EqualTo(rowsTotal));
    }

    [Test]
    public async Task Statement_is_signed_for_stock_openssl_and_a_rerun_is_unchanged()
    {
        var first = await QuarterAsync();
        var (ok, output) = OpensslCheck.Verify(first.Path!, StatementMonth.BankPublicKey);
        Assert.That(ok, Is.True, output);
        byte[] bytes = File.ReadAllBytes(first.Path!);
        string sig = File.ReadAllText(first.Path! + ".sig");
        var again = await QuarterAsync();
        Assert.That(again.New, Is.False);
        Assert.That(File.ReadAllBytes(first.Path!), Is.EqualTo(bytes));
        Assert.That(File.ReadAllText(first.Path! + ".sig"), Is.EqualTo(sig));
        Assert.That(await _month.Gateway.ScalarAsync<string>("select kind || ' ' || source from outbound_files where file_name = 'MB_522726_2024Q3.csv'"),
            Is.EqualTo("MB beneficiaries:522726:2024-Q3"));
    }

    [Test]
    public void A_quarter_not_ended_in_China_time_is_refused()
    {
        _month.Gateway.Clock.Now = new DateTimeOffset(2024, 9, 30, 15, 59, 59, TimeSpan.Zero);
        var e = Assert.ThrowsAsync<StatementRefusedException>(() => Service.RunAsync(StatementPeriod.Quarter(2024, 3), _month.Statements, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("2024-Q3").And.Contain("not ended"));
    }

    [Test]
    public async Task A_quarter_without_credits_writes_nothing()
    {
        _month.At(2025, 1, 2);
        Assert.That(await Service.RunAsync(StatementPeriod.Quarter(2024, 4), _month.Statements, CancellationToken.None), Is.Empty);
    }
}
