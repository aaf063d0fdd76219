using BankGateway.Testing.Postgres;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>The command line of contract §10, run as the real executable: exit codes, idempotence, messages.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CommandLineTests
{
    private string _work = null!;
    private string _samples = null!;
    private WorkerProcess _worker = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var server = await TestDatabase.GetSharedAsync();
        string db = await server.CreateDatabaseAsync(GetType());
        _work = Directory.CreateTempSubdirectory("bg-cli-").FullName;
        _samples = SampleFiles.CopyTo(_work);
        _worker = new WorkerProcess(Path.Combine(_work, "home"), db);
    }

    [OneTimeTearDown]
    public void Cleanup() => Directory.Delete(_work, recursive: true);

    private string[] RunOnce(string inbox, string outbox) =>
        ["run-once", "--inbox", inbox, "--outbox", outbox, "--finance-pub", SampleFiles.Key("finance_public.pem"),
         "--bank-key", SampleFiles.Key("bank_private.pem"), "--business-date", "2024-09-30"];

    [TestCase("run-once", "--inbox", "x")]
    [TestCase("returns", "run", "--date", "2024-13-01", "--outbox", "x")]
    [TestCase("verify", "--pub", "k.pem")]
    [TestCase("no-such-command")]
    public async Task Bad_usage_exits_2_with_a_message(params string[] args)
    {
        var result = await _worker.RunAsync(args);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.Stderr);
        Assert.That(result.Stderr, Does.Contain("usage error"));
    }

    [Test]
    public async Task Keygen_makes_a_pair_and_never_overwrites_it()
    {
        string dir = Path.Combine(_work, "keys");
        var first = await _worker.RunAsync("keygen", "--out", dir);
        Assert.That(first.ExitCode, Is.Zero, first.Stderr);
        string before = File.ReadAllText(Path.Combine(dir, "private.pem"));
        var second = await _worker.RunAsync("keygen", "--out", dir);
        Assert.That(second.ExitCode, Is.EqualTo(1));
        Assert.That(second.Stderr, Does.Contain("already exists"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "private.pem")), Is.EqualTo(before));
    }

    [Test]
    public async Task Verify_exits_0_for_a_valid_signature_and_1_for_a_tampered_file()
    {
        string file = Path.Combine(_samples, "inbox", "PV_522726_ZF2024000123.xml");
        Assert.That((await _worker.RunAsync("verify", file, "--pub", SampleFiles.Key("finance_public.pem"))).ExitCode, Is.Zero);
        string tampered = Path.Combine(_work, "tampered.xml");
        File.WriteAllText(tampered, File.ReadAllText(file).Replace("独山县", "独山縣", StringComparison.Ordinal));
        File.Copy(file + ".sig", tampered + ".sig");
        Assert.That((await _worker.RunAsync("verify", tampered, "--pub", SampleFiles.Key("finance_public.pem"))).ExitCode, Is.EqualTo(1));
    }

    [Test]
    public async Task Signing_command_without_a_bank_key_stops_with_a_clear_message()
    {
        var result = await _worker.RunAsync("clearing", "run", "--date", "2024-09-30", "--outbox", Path.Combine(_work, "nokey"));
        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain("bank's SM2 private key was not found"));
    }

    [Test]
    public async Task Whole_day_by_commands_is_idempotent_and_ignores_links_and_foreign_names()
    {
        string inbox = Path.Combine(_samples, "inbox");
        string outbox = Path.Combine(_work, "outbox");
        File.WriteAllText(Path.Combine(inbox, "notes.txt"), "not a contract file");
        File.CreateSymbolicLink(Path.Combine(inbox, "PV_522726_LINK1.xml"), Path.Combine(inbox, "PV_522726_ZF2024000123.xml"));
        Assert.That((await _worker.RunAsync("catalogue", "import", Path.Combine(_samples, "catalogue.csv"))).ExitCode, Is.Zero);
        Assert.That((await _worker.RunAsync("accounts", "import", Path.Combine(_samples, "accounts.csv"))).ExitCode, Is.Zero);

        var first = await _worker.RunAsync(RunOnce(inbox, outbox));
        Assert.That(first.ExitCode, Is.Zero, first.Stderr);
        Assert.That(first.Stdout, Does.Contain("4 accepted, 6 rejected"));
        var snapshot = Snapshot(outbox);
        Assert.That(snapshot.Keys, Has.Some.StartsWith("HD_522726_ZF2024000124.xml"));
        Assert.That(snapshot.Keys, Has.None.Contains("LINK1"), "no answer to a symbolic link");
        Assert.That(File.Exists(Path.Combine(inbox, "notes.txt")) && File.Exists(Path.Combine(inbox, "PV_522726_LINK1.xml")), Is.True, "left alone");
        Assert.That(first.Stderr, Does.Contain("not a regular file"));

        var second = await _worker.RunAsync(RunOnce(inbox, outbox));
        Assert.That(second.ExitCode, Is.Zero, second.Stderr);
        Assert.That(Snapshot(outbox), Is.EqualTo(snapshot), "a second run rewrites and re-signs nothing");

        string[] returns = ["returns", "run", "--date", "2024-10-08", "--outbox", outbox, "--bank-key", SampleFiles.Key("bank_private.pem")];
        Assert.That((await _worker.RunAsync(returns)).ExitCode, Is.Zero);
        var afterReturns = Snapshot(outbox);
        Assert.That(afterReturns.Keys, Has.Member("TH_522726_ZF2024000124.xml"));
        Assert.That((await _worker.RunAsync(returns)).ExitCode, Is.Zero);
        Assert.That(Snapshot(outbox), Is.EqualTo(afterReturns));

        string[] clearing = ["clearing", "run", "--date", "2024-09-30", "--outbox", outbox, "--bank-key", SampleFiles.Key("bank_private.pem")];
        Assert.That((await _worker.RunAsync(clearing)).ExitCode, Is.Zero);
        var afterClearing = Snapshot(outbox);
        Assert.That((await _worker.RunAsync(clearing)).ExitCode, Is.Zero);
        Assert.That(Snapshot(outbox), Is.EqualTo(afterClearing));

        string export = Path.Combine(_work, "export.csv");
        Assert.That((await _worker.RunAsync("accounts", "export", export)).ExitCode, Is.Zero);
        Assert.That(File.ReadLines(export).First(), Is.EqualTo("账号,户名,证件号码,账户状态,余额"));
        Assert.That(File.ReadLines(export).Count(), Is.EqualTo(File.ReadLines(Path.Combine(_samples, "accounts.csv")).Count()));
    }

    /// <summary>Every file's bytes and modification time: equal snapshots mean nothing was touched.</summary>
    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(File.ReadAllBytes(f)) + "@" + File.GetLastWriteTimeUtc(f).Ticks);
}
