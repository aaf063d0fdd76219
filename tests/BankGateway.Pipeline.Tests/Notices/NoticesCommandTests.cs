using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using BankGateway.Domain;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using Dapper;
using Npgsql;
using NUnit.Framework;
using static BankGateway.Pipeline.Tests.Pipeline.VoucherBuilder;

namespace BankGateway.Pipeline.Tests.Notices;

/// <summary>
/// Contract §16 SMS notices by the command line, as operators run it: the sample day through <c>run-once</c>
/// (plus a voucher with malformed and absent phones), then <c>notices send</c> without a URL, against an
/// unreachable platform, with a broken template, and against a platform that refuses a third of the requests,
/// until everything is acknowledged: every credited line with a valid phone exactly once.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class NoticesCommandTests
{
    [Test]
    public async Task Every_credited_line_with_a_valid_phone_is_acknowledged_exactly_once_and_nothing_unacknowledged_is_marked_sent()
    {
        var server = await TestDatabase.GetSharedAsync();
        string db = await server.CreateDatabaseAsync(GetType());
        string work = Directory.CreateTempSubdirectory("bg-sms-cli-").FullName;
        await using var platform = await SmsPlatform.StartAsync(failRatio: 1.0 / 3, seed: 20241130);
        try
        {
            string samples = SampleFiles.CopyTo(work);
            string home = Path.Combine(work, "home"), outbox = Path.Combine(work, "outbox");
            var plain = new WorkerProcess(home, db);
            Assert.That((await plain.RunAsync("catalogue", "import", Path.Combine(samples, "catalogue.csv"))).ExitCode, Is.Zero);
            Assert.That((await plain.RunAsync("accounts", "import", Path.Combine(samples, "accounts.csv"))).ExitCode, Is.Zero);

            // A voucher of our own: malformed phones on credited lines, a valid phone on a failed line (F08).
            var finance = Sm2KeyGenerator.Generate();
            string financePub = Path.Combine(work, "finance_public.pem");
            File.WriteAllText(financePub, finance.PublicKey.ToPem());
            var people = LargeVoucher.Write(Path.Combine(work, "unused"), Path.Combine(work, "people"), 10, finance, accountMultiple: 1);
            Assert.That((await plain.RunAsync("accounts", "import", people.AccountsPath)).ExitCode, Is.Zero);
            var own = new VoucherBuilder("ZFSMS-01",
                Line(1, 1) with { Phone = "13800000001" },
                Line(2, 2) with { Phone = "1380000002" },        // 10 digits
                Line(3, 3) with { Phone = "23800000003" },       // does not start with 1
                Line(4, 4) with { Phone = "138-0000-0004" },
                Line(5, 5),                                      // no phone
                Line(6, 999_999) with { Phone = "13800000006" }, // account not held here: F08
                Line(7, 7) with { Phone = "13800000007" });
            own.WriteTo(Path.Combine(work, "inbox-own"), finance);

            string[] RunOnce(string inbox, string pub) => ["run-once", "--inbox", inbox, "--outbox", outbox, "--finance-pub", pub,
                "--bank-key", SampleFiles.Key("bank_private.pem"), "--business-date", "2024-09-30"];
            var day = await plain.RunAsync(RunOnce(Path.Combine(samples, "inbox"), SampleFiles.Key("finance_public.pem")));
            Assert.That(day.ExitCode, Is.Zero, day.Stderr);
            var ownRun = await plain.RunAsync(RunOnce(Path.Combine(work, "inbox-own"), financePub));
            Assert.That(ownRun.ExitCode, Is.Zero, ownRun.Stderr);

            var expected = await ExpectedAsync(db, outbox);
            Assert.That(expected.Keys, Does.Contain("522726-ZFSMS-01-1").And.Contain("522726-ZFSMS-01-7"));
            Assert.That(expected.Keys.Where(k => k.StartsWith("522726-ZFSMS-01-", StringComparison.Ordinal)), Has.Exactly(2).Items,
                "malformed, absent phones and the failed line get no notice");
            Assert.That(expected, Has.Count.GreaterThan(50));
            Assert.That(await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices"), Is.EqualTo(expected.Count), "one notice per credited line with a valid phone, created with the credit");
            Assert.That(await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices where state = 'PENDING'"), Is.EqualTo(expected.Count));

            // No URL: the notices wait, nothing fails.
            var noUrl = await plain.RunAsync("notices", "send");
            Assert.That(noUrl.ExitCode, Is.Zero, noUrl.Stderr);
            Assert.That(noUrl.Stdout, Does.Contain("notices wait"));

            // A template without {last4} is refused at start, naming the key.
            var badTemplate = await new WorkerProcess(home, db, new Dictionary<string, string?>
            {
                ["Gateway__Sms__Url"] = platform.Url.ToString(),
                ["Gateway__Sms__Template"] = "您的账户于{date}收到{dept}发放的{subsidy}（{period}）{amount}元。",
            }).RunAsync("notices", "send");
            Assert.That(badTemplate.ExitCode, Is.EqualTo(1));
            Assert.That(badTemplate.Stderr, Does.Contain("Gateway:Sms:Template").And.Contain("{last4}"));

            // The platform cannot be reached: exit 1 and nothing marked sent.
            var unreachable = await new WorkerProcess(home, db, new Dictionary<string, string?>
            {
                ["Gateway__Sms__Url"] = $"http://127.0.0.1:{ClosedPort()}/sms",
            }).RunAsync("notices", "send");
            Assert.That(unreachable.ExitCode, Is.EqualTo(1), unreachable.Stdout + unreachable.Stderr);
            Assert.That(await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices where state <> 'PENDING' or sent_at is not null"), Is.Zero);
            Assert.That(await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices where attempts > 0 and last_error is not null"), Is.GreaterThan(0),
                "the failed attempts are recorded");
            Assert.That(platform.Requests, Is.Empty);

            // A platform that refuses a third of the requests: send until everything is acknowledged.
            var sender = new WorkerProcess(home, db, new Dictionary<string, string?>
            {
                ["Gateway__Sms__Url"] = platform.Url.ToString(),
                ["Gateway__Sms__PerSecond"] = "200",
            });
            var runs = new List<WorkerProcess.Result>();
            for (int i = 0; i < 15; i++)
            {
                var run = await sender.RunAsync("notices", "send");
                runs.Add(run);
                Assert.That(run.ExitCode, Is.AnyOf(0, 1), run.Stderr);
                if (run.ExitCode == 0) break;
                Assert.That(run.Stderr, Does.Contain("did not acknowledge"));
            }
            string log = string.Join("\n---\n", runs.Select(r => r.Stdout + r.Stderr));
            Assert.That(runs[^1].ExitCode, Is.Zero, log);
            Assert.That(platform.Requests.Count(r => !r.Acknowledged), Is.GreaterThan(0), "the platform did refuse some requests");

            AssertDelivered(platform, expected, log);
            Assert.That(await Sql.ScalarAsync<long>(db, "select count(*) from sms_notices where state = 'SENT' and sent_at is not null"), Is.EqualTo(expected.Count));

            // Nothing left: a further run sends nothing and exits 0.
            int before = platform.Requests.Count;
            var again = await sender.RunAsync("notices", "send");
            Assert.That(again.ExitCode, Is.Zero, again.Stderr);
            Assert.That(again.Stdout, Does.Contain("0 sent"));
            Assert.That(platform.Requests, Has.Count.EqualTo(before));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>What a notice must say, per id: from the RS_ receipts (credited lines) and the recorded lines (phones).</summary>
    internal sealed record Expected(string Phone, string AccountNo, string IdNumber, string Amount, string Dept, string Subsidy, string Period, string Date);

    internal static async Task<Dictionary<string, Expected>> ExpectedAsync(string connectionString, string outbox)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        var lines = (await connection.QueryAsync<(string VoucherNo, string SeqNo, string Phone, string Dept, string Subsidy, string Period, DateTime Date)>("""
            select v.voucher_no, l.seq_no, l.phone, v.dept_name, v.subsidy_name, v.period, v.business_date::timestamp
            from voucher_lines l join vouchers v on v.id = l.voucher_id
            """)).ToDictionary(l => (l.VoucherNo, l.SeqNo));
        var expected = new Dictionary<string, Expected>();
        foreach (var path in Directory.GetFiles(outbox, "RS_*.csv"))
        {
            string voucherNo = Path.GetFileNameWithoutExtension(path)["RS_522726_".Length..];
            using var stream = File.OpenRead(path);
            using var reader = new ResultCsvReader(stream, Path.GetFileName(path));
            foreach (var row in reader.ReadRows().Where(r => r.Success))
            {
                var line = lines[(voucherNo, row.SeqNo)];
                if (!ValidPhone().IsMatch(line.Phone)) continue;
                expected[$"522726-{voucherNo}-{row.SeqNo}"] = new Expected(line.Phone, row.AccountNo, row.IdNumber, row.Amount,
                    line.Dept, line.Subsidy, line.Period, line.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return expected;
    }

    /// <summary>Every expected id acknowledged; a repeat of an id only before its acknowledgement (a retry) unless <paramref name="crashes"/>.</summary>
    internal static void AssertDelivered(SmsPlatform platform, Dictionary<string, Expected> expected, string log, bool crashes = false)
    {
        var requests = platform.Requests;
        Assert.Multiple(() =>
        {
            Assert.That(requests.Select(r => r.Id).Distinct(), Is.EquivalentTo(expected.Keys), "notices only for credited lines with a valid phone");
            foreach (var group in requests.GroupBy(r => r.Id))
            {
                var acks = group.Count(r => r.Acknowledged);
                if (crashes) Assert.That(acks, Is.GreaterThanOrEqualTo(1), group.Key);
                else
                {
                    Assert.That(acks, Is.EqualTo(1), $"{group.Key} acknowledged exactly once\n{log}");
                    Assert.That(group.Last().Acknowledged, Is.True, $"{group.Key}: nothing sent after its acknowledgement");
                }
                Assert.That(group.Select(r => r.Text).Distinct().Count(), Is.EqualTo(1), $"{group.Key}: a retry repeats the same text");
                Assert.That(group.All(r => r.Keys.SequenceEqual(["id", "phone", "text"])), Is.True, "JSON {id, phone, text}");

                if (!expected.TryGetValue(group.Key, out var e)) continue;
                var r0 = group.First();
                Assert.That(r0.Phone, Is.EqualTo(e.Phone), group.Key);
                Assert.That(r0.Text, Does.Contain(e.Subsidy).And.Contain(e.Dept).And.Contain(e.Period).And.Contain(e.Date)
                    .And.Contain(e.Amount + "元").And.Contain("尾号" + e.AccountNo[^4..]), group.Key);
                Assert.That(r0.Text, Does.Not.Contain(e.AccountNo).And.Not.Contain(e.IdNumber).And.Not.Contain(e.AccountNo[..^4]), group.Key);
                Assert.That(LongDigits().Matches(r0.Text).Select(m => m.Value), Is.Empty, $"{group.Key}: no account or ID number in: {r0.Text}");
                Assert.That(HasChinese().IsMatch(r0.Text), Is.True);
            }
        });
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("^1[0-9]{10}$")]
    private static partial Regex ValidPhone();

    // Any run of 8 or more digits (dates, amounts and the last 4 are shorter): no account, ID or phone number.
    [GeneratedRegex("[0-9]{8,}")]
    private static partial Regex LongDigits();

    [GeneratedRegex(@"\p{IsCJKUnifiedIdeographs}")]
    private static partial Regex HasChinese();
}
