using BankGateway.Files.Signing;
using BankGateway.Worker.Archive;
using BankGateway.Worker.Intake;
using NUnit.Framework;

namespace BankGateway.Pipeline.Tests.Archive;

/// <summary>
/// Intake's recording read (D60): the SM3 made on the background task is the file's, whatever the reads' sizes, the
/// archive copy holds the same bytes, memory stays bounded, and a read that stops early neither hangs nor completes.
/// </summary>
[TestFixture]
public sealed class HashingReadStreamTests
{
    private string _dir = null!;

    [SetUp]
    public void MakeFolder() => _dir = Directory.CreateTempSubdirectory("bg-hashing-read-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(int size, int seed)
    {
        string path = Path.Combine(_dir, $"QC_{seed}.csv");
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [TestCase(0, 4096)]
    [TestCase(1, 1)]
    [TestCase(63, 7)]
    [TestCase(3 << 20, 65536)]
    [TestCase((3 << 20) + 17, 1000)]
    public async Task The_hash_and_the_copy_are_of_exactly_the_bytes_read(int size, int readSize)
    {
        string path = WriteFile(size, seed: size);
        using var copy = new ArchiveCopy(ArchiveStore.Inbound, "522726", "QC.csv", new DateOnly(2024, 9, 1), Path.Combine(_dir, "archive"));
        string sm3;
        await using (var file = File.OpenRead(path))
        await using (var hashed = new HashingReadStream(file, copy))
        {
            var buffer = new byte[readSize];
            while ((size % 2 == 0 ? hashed.Read(buffer) : await hashed.ReadAsync(buffer)) > 0) { }
            sm3 = await hashed.FinishHexAsync();
        }
        Assert.That(sm3, Is.EqualTo(Sm3.HashFileHex(path)));
        Assert.That(copy.Close(), Is.True);
        Assert.That(File.ReadAllBytes(copy.TempPath), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public async Task A_read_that_stops_early_ends_without_hanging_and_leaves_the_copy_incomplete()
    {
        const int Read = 10 * 65536;
        string path = WriteFile(4 << 20, seed: 5);
        using var copy = new ArchiveCopy(ArchiveStore.Inbound, "522726", "QC.csv", new DateOnly(2024, 9, 1), Path.Combine(_dir, "archive"));
        await using var file = File.OpenRead(path);
        var hashed = new HashingReadStream(file, copy);
        hashed.ReadExactly(new byte[Read]);
        // Disposed without FinishHexAsync, as when a list has more lines than its voucher says: the background task
        // takes what was read and ends; disposal does not hang on it.
        await Task.Run(hashed.Dispose).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(hashed.Position, Is.EqualTo(Read));
        Assert.That(copy.Sm3, Is.Null, "only intake completes a copy, after the voucher is recorded");
        Assert.That(copy.Close(), Is.True);
        Assert.That(File.ReadAllBytes(copy.TempPath), Is.EqualTo(File.ReadAllBytes(path)[..Read]), "exactly the bytes read, all of them");
    }

    [Test]
    public async Task Hashing_a_large_list_allocates_little()
    {
        string path = WriteFile(48 << 20, seed: 9);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        await using (var hashed = new HashingReadStream(file, null))
        {
            await hashed.CopyToAsync(Stream.Null, 1 << 16);
            await hashed.FinishHexAsync();
        }
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.That(allocated, Is.LessThan(16 << 20), $"{allocated:N0} bytes allocated to hash a 48 MiB list");
    }
}
