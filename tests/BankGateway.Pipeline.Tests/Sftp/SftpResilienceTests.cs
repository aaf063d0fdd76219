using System.Diagnostics;
using BankGateway.Files.Signing;
using NUnit.Framework;
using Polly.CircuitBreaker;

namespace BankGateway.Pipeline.Tests.Sftp;

/// <summary>A bureau's server dying mid-transfer or staying dead: retries, no partial file, and a circuit that spares the others.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SftpResilienceTests : SftpTestFixture
{

    [Test]
    public async Task Server_killed_mid_download_leaves_no_partial_file_and_the_next_poll_completes()
    {
        var set = _bed.SampleSet();
        // The voucher names QC_522726_ZF2024000123.csv; a 50 MB one keeps the transfer running long enough to cut it.
        string bigDetail = Path.Combine(_bed.Root, "big", Path.GetFileName(set[2]));
        Directory.CreateDirectory(Path.GetDirectoryName(bigDetail)!);
        var bytes = new byte[50 << 20];
        new Random(7).NextBytes(bytes);
        await File.WriteAllBytesAsync(bigDetail, bytes);
        await _bed.UploadAsync(set[0], set[1], bigDetail);
        using var channel = _bed.Channel();
        await channel.FetchAsync(CancellationToken.None);

        string part = Path.Combine(channel.LocalInbox, "." + Path.GetFileName(bigDetail) + ".part");
        var fetch = Task.Run(() => channel.FetchAsync(CancellationToken.None));
        var watch = Stopwatch.StartNew();
        while (!(File.Exists(part) && new FileInfo(part).Length > 0) && !fetch.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(1);
        Assert.That(fetch.IsCompleted, Is.False, "the download was still running when the server was killed");
        _bed.Server.Stop();

        Assert.That(async () => await fetch, Throws.Exception, "the poll fails once its retries are spent");
        Assert.That(channel.Counters.Retries, Is.GreaterThan(0));
        Assert.That(Directory.GetFiles(channel.LocalInbox), Is.Empty, "no partial file, not even the hidden .part");

        await _bed.Server.RestartAsync();
        await channel.FetchAsync(CancellationToken.None);
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Has.Length.EqualTo(3));
        Assert.That(Sm3.HashFileHex(Path.Combine(channel.LocalInbox, Path.GetFileName(bigDetail))), Is.EqualTo(Sm3.HashFileHex(bigDetail)));
    }

    [Test]
    public async Task Dead_server_opens_the_circuit_so_polls_return_at_once_until_it_answers_again()
    {
        await _bed.UploadAsync(_bed.SampleSet());
        using var channel = _bed.Channel();
        await channel.FetchAsync(CancellationToken.None);
        _bed.Server.Stop();

        // One good poll, then failing ones: the breaker opens at 70 % failures over at least two polls.
        for (int poll = 0; poll < 3 && channel.CircuitState != CircuitState.Open; poll++)
            Assert.That(async () => await channel.FetchAsync(CancellationToken.None), Throws.Exception.Not.TypeOf<BrokenCircuitException>());
        Assert.That(channel.CircuitState, Is.EqualTo(CircuitState.Open));
        Assert.That(channel.Counters.CircuitOpen, Is.EqualTo(1));
        var watch = Stopwatch.StartNew();
        Assert.That(async () => await channel.FetchAsync(CancellationToken.None), Throws.TypeOf<BrokenCircuitException>());
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(500)), "an open circuit costs no connection attempt");
        var health = await channel.CheckAsync(CancellationToken.None);
        Assert.That(health.Ready, Is.False);
        Assert.That(health.Detail, Does.Contain("circuit open"));

        await _bed.Server.RestartAsync();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await channel.FetchAsync(CancellationToken.None);
                break;
            }
            catch (BrokenCircuitException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
            }
        }
        Assert.That(channel.CircuitState, Is.EqualTo(CircuitState.Closed));
        Assert.That(SftpTestBed.Names(channel.LocalInbox), Has.Length.EqualTo(3), "the set seen before the outage is taken once the server is back");
        Assert.That((await channel.CheckAsync(CancellationToken.None)).Ready, Is.True);
    }
}
