using BankGateway.Files.Signing;
using BankGateway.Testing.Postgres;
using BankGateway.Testing.Vouchers;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>
/// The exactly-once promise under SIGKILL: the worker is killed at random moments while posting a
/// 200,000-line voucher, restarted each time, and in the end every line is paid exactly once and the
/// ledger balances to the fen.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CrashRecoveryTests
{
    private const int Lines = 200_000;
    private const int Kills = 10;

    [Test]
    public async Task Worker_killed_ten_times_while_posting_pays_every_line_exactly_once()
    {
        await using var server = await TestDatabase.StartPrivateAsync(new TestClusterOptions { Fsync = true });
        string connectionString = await server.CreateDatabaseAsync(nameof(CrashRecoveryTests));
        string work = Directory.CreateTempSubdirectory("bg-crash-").FullName;
        try
        {
            var finance = Sm2KeyGenerator.Generate();
            var bank = KeyFiles.WriteKeyPair(Path.Combine(work, "bank"));
            File.WriteAllText(Path.Combine(work, "finance_public.pem"), finance.PublicKey.ToPem());
            var built = LargeVoucher.Write(Path.Combine(work, "inbox"), Path.Combine(work, "data"), Lines, finance, accountMultiple: 1);
            var worker = new WorkerProcess(Path.Combine(work, "home"), connectionString,
                new Dictionary<string, string?> { ["Gateway__Posting__ChunkSize"] = "5000" });
            Assert.That((await worker.RunAsync("accounts", "import", built.AccountsPath)).ExitCode, Is.Zero);
            Assert.That((await worker.RunAsync("catalogue", "import", built.CataloguePath)).ExitCode, Is.Zero);
            long openingTotal = await Sql.ScalarAsync<long>(connectionString, "select sum(balance_fen)::bigint from accounts");

            string[] runOnce = ["run-once", "--inbox", Path.Combine(work, "inbox"), "--outbox", Path.Combine(work, "outbox"),
                "--finance-pub", Path.Combine(work, "finance_public.pem"), "--bank-key", bank.PrivateKeyPath, "--business-date", "2024-09-30"];
            var random = new Random(20240930);
            int kills = 0, insideChunk = 0;
            for (int attempt = 0; attempt < 40 && kills < Kills; attempt++)
            {
                using var run = worker.Start(runOnce);
                // Let it reach posting, then kill at a random instant within the next chunks. A 5,000-line chunk takes
                // 50–200 ms: within 200 ms of the first chunk's start, ten kills leave most of the 40 chunks to post
                // even on a fast machine (with 700 ms, posting finished after five kills on a fast one).
                bool posting = await run.WaitForLineAsync(l => l.Contains("chunk", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
                if (!posting) break; // finished: nothing left to post
                await Task.Delay(random.Next(0, 200));
                if (run.Process.HasExited) break;
                run.Kill();
                kills++;
                var lastChunkLine = run.Lines.LastOrDefault(l => l.Contains(" chunk ", StringComparison.Ordinal)) ?? "";
                if (lastChunkLine.Contains("begins", StringComparison.Ordinal)) insideChunk++;
            }
            var final = await worker.RunAsync(runOnce);
            TestContext.Out.WriteLine($"{kills} kills, {insideChunk} inside a chunk's transaction");
            Assert.That(final.ExitCode, Is.Zero, final.Stderr);

            Assert.Multiple(async () =>
            {
                Assert.That(kills, Is.EqualTo(Kills), "the worker was killed ten times while posting");
                Assert.That(insideChunk, Is.GreaterThan(0), "at least one kill landed inside a chunk's transaction");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from journal where kind = 'P' and side = 'C'"), Is.EqualTo(Lines), "one credit per line");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(distinct ref_no) from journal where kind = 'P' and side = 'C'"), Is.EqualTo(Lines), "no line credited twice");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from line_failures"), Is.Zero);
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select sum(balance_fen)::bigint from accounts"), Is.EqualTo(openingTotal + built.TotalFen), "balances = opening + credits, to the fen");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select coalesce(sum(case side when 'D' then amount_fen else -amount_fen end), 0)::bigint from journal"), Is.Zero, "debits equal credits");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select paid_fen from vouchers"), Is.EqualTo(built.TotalFen));
                Assert.That(await Sql.ScalarAsync<string>(connectionString, "select status from vouchers"), Is.EqualTo("COMPLETED"));
                Assert.That(File.Exists(Path.Combine(work, "outbox", "HD_522726_ZF2024900001.xml.sig")), Is.True, "receipt written and signed");
            });
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

}
