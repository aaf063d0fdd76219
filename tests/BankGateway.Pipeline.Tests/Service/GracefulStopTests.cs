using BankGateway.Pipeline.Tests.Pipeline;
using BankGateway.Testing.Postgres;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Service;

/// <summary>
/// SIGTERM while the service is posting (contract §11): it exits 0 with no half-posted chunk and no
/// half-written file, and the next start finishes the voucher, every line paid once.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class GracefulStopTests
{
    private const int Lines = 60_000;

    [Test]
    public async Task Sigterm_while_posting_exits_0_with_only_whole_chunks_and_the_next_start_finishes()
    {
        var server = await TestDatabase.GetSharedAsync();
        string connectionString = await server.CreateDatabaseAsync("service_graceful_stop");
        string work = Directory.CreateTempSubdirectory("bg-stop-").FullName;
        try
        {
            var day = await StagedVouchers.PrepareAsync(connectionString, work, 1, Lines);
            var (outbox, built, env) = (day.Outbox, day.Built[0], day.Environment);
            env["Gateway__Posting__ChunkSize"] = "2000";
            env["Gateway__Posting__Connections"] = "1";

            using (var node = await ServiceNode.StartAsync(Path.Combine(work, "home"), connectionString, env))
            {
                day.DropIntoInbox();
                await ServiceNode.WaitUntilAsync(() => node.Running.Lines.Count(l => l.Contains(" committed, rows ", StringComparison.Ordinal)) >= 2,
                    TimeSpan.FromMinutes(2), "posting of the first chunks", node);
                int exitCode = await node.StopAsync(TimeSpan.FromMinutes(2));
                Assert.That(exitCode, Is.Zero, node.Running.Log);
            }

            long chunks = await Sql.ScalarAsync<long>(connectionString, "select count(*) from posting_chunks");
            Assert.Multiple(async () =>
            {
                Assert.That(chunks, Is.GreaterThan(0).And.LessThan(Lines / 2000), "stopped in the middle of the voucher");
                Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(*) from journal where kind = 'P' and side = 'C'"),
                    Is.EqualTo(await Sql.ScalarAsync<long>(connectionString, "select coalesce(sum(paid_count), 0)::bigint from posting_chunks")),
                    "every credit belongs to a committed chunk: no half-posted chunk");
                Assert.That(Directory.GetFiles(outbox, "*.tmp").Concat(Directory.GetFiles(outbox, ".*")), Is.Empty, "no half-written file");
            });

            using (var again = await ServiceNode.StartAsync(Path.Combine(work, "home"), connectionString, env))
            {
                await ServiceNode.WaitUntilAsync(() => File.Exists(Path.Combine(outbox, "HD_522726_ZF2024900001.xml.sig")),
                    TimeSpan.FromMinutes(3), "the voucher's receipt after restart", again);
                Assert.That(await again.StopAsync(TimeSpan.FromMinutes(1)), Is.Zero);
            }
            Assert.That(await Sql.ScalarAsync<long>(connectionString, "select count(distinct ref_no) from journal where kind = 'P' and side = 'C'"), Is.EqualTo(Lines));
            Assert.That(await Sql.ScalarAsync<long>(connectionString, "select paid_fen from vouchers"), Is.EqualTo(built.TotalFen));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

}
