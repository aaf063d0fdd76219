using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Reconciliation;

/// <summary><c>statements run</c> and <c>statements beneficiaries</c> as the real executable: exit codes, messages, reruns.</summary>
[TestFixture]
[NonParallelizable]
public sealed class StatementCommandTests
{
    private string _work = null!;
    private string _samples = null!;
    private WorkerProcess _worker = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var server = await TestDatabase.GetSharedAsync();
        string db = await server.CreateDatabaseAsync(GetType());
        _work = Directory.CreateTempSubdirectory("bg-statements-").FullName;
        _samples = SampleFiles.CopyTo(_work);
        _worker = new WorkerProcess(Path.Combine(_work, "home"), db);
    }

    [OneTimeTearDown]
    public void Cleanup() => Directory.Delete(_work, recursive: true);

    private static string BankKey => SampleFiles.Key("bank_private.pem");

    [TestCase("statements", "run", "--outbox", "x")]
    [TestCase("statements", "run", "--month", "2024-09", "--year", "2024", "--outbox", "x")]
    [TestCase("statements", "run", "--month", "2024-13", "--outbox", "x")]
    [TestCase("statements", "run", "--year", "24", "--outbox", "x")]
    [TestCase("statements", "beneficiaries", "--quarter", "2024Q3", "--outbox", "x")]
    [TestCase("statements", "beneficiaries", "--outbox", "x")]
    public async Task Bad_usage_exits_2(params string[] args)
    {
        var result = await _worker.RunAsync(args);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("usage error"));
    }

    [Test]
    public async Task A_day_stated_by_commands_once_then_unchanged_and_an_unended_period_exits_1()
    {
        string outbox = Path.Combine(_work, "outbox");
        string statements = Path.Combine(_work, "statements");
        Assert.That((await _worker.RunAsync("catalogue", "import", Path.Combine(_samples, "catalogue.csv"))).ExitCode, Is.Zero);
        Assert.That((await _worker.RunAsync("accounts", "import", Path.Combine(_samples, "accounts.csv"))).ExitCode, Is.Zero);
        var day = await _worker.RunAsync("run-once", "--inbox", Path.Combine(_samples, "inbox"), "--outbox", outbox,
            "--finance-pub", SampleFiles.Key("finance_public.pem"), "--bank-key", BankKey, "--business-date", "2024-09-30");
        Assert.That(day.ExitCode, Is.Zero, day.Stderr);
        Assert.That((await _worker.RunAsync("clearing", "run", "--date", "2024-09-30", "--outbox", outbox, "--bank-key", BankKey)).ExitCode, Is.Zero);

        string[] month = ["statements", "run", "--month", "2024-09", "--outbox", statements, "--bank-key", BankKey];
        var first = await _worker.RunAsync(month);
        Assert.That(first.ExitCode, Is.Zero, first.Stdout + first.Stderr);
        Assert.That(first.Stdout, Does.Contain("DZ_522726_202409.xml: written").And.Not.Contain("unchanged"));
        string dz = Path.Combine(statements, "DZ_522726_202409.xml");
        byte[] bytes = File.ReadAllBytes(dz);
        Assert.That(OpensslCheck.Verify(dz, SampleFiles.Key("bank_public.pem")).Ok, Is.True);
        Assert.That((await _worker.RunAsync("verify", dz, "--pub", SampleFiles.Key("bank_public.pem"))).ExitCode, Is.Zero);

        var second = await _worker.RunAsync(month);
        Assert.That(second.ExitCode, Is.Zero, second.Stderr);
        Assert.That(second.Stdout, Does.Contain("DZ_522726_202409.xml: unchanged (already written)"));
        Assert.That(File.ReadAllBytes(dz), Is.EqualTo(bytes));

        var year = await _worker.RunAsync("statements", "run", "--year", "2024", "--outbox", statements, "--bank-key", BankKey);
        Assert.That(year.ExitCode, Is.Zero, year.Stderr);
        Assert.That(File.Exists(Path.Combine(statements, "DZ_522726_2024.xml")), Is.True);

        var quarter = await _worker.RunAsync("statements", "beneficiaries", "--quarter", "2024-Q3", "--outbox", statements, "--bank-key", BankKey);
        Assert.That(quarter.ExitCode, Is.Zero, quarter.Stderr);
        string mb = Path.Combine(statements, "MB_522726_2024Q3.csv");
        Assert.That(OpensslCheck.Verify(mb, SampleFiles.Key("bank_public.pem")).Ok, Is.True);

        // The worker runs on the real clock: a year far ahead has not ended.
        var early = await _worker.RunAsync("statements", "run", "--month", "2099-01", "--outbox", statements, "--bank-key", BankKey);
        Assert.That(early.ExitCode, Is.EqualTo(1));
        Assert.That(early.Stderr.Trim().Split('\n'), Has.Some.Match("^error: .*2099-01.*not ended"));
        Assert.That(early.Stderr, Does.Not.Contain("   at "), "one sentence, no stack trace");
        var earlyQuarter = await _worker.RunAsync("statements", "beneficiaries", "--quarter", "2099-Q1", "--outbox", statements, "--bank-key", BankKey);
        Assert.That(earlyQuarter.ExitCode, Is.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(statements, "DZ_522726_209901.xml")), Is.False);
    }
}
