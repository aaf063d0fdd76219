using BankGateway.Files.Formats;
using NUnit.Framework;

namespace BankGateway.Files.Tests.Formats;

public class AtomicFileTests
{
    private string _dir = "";

    [SetUp]
    public void CreateFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "bg-atomic-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Write_replaces_the_target_and_leaves_no_temp_file()
    {
        var path = Path.Combine(_dir, "HD_522726_ZF1.xml");
        File.WriteAllText(path, "old");
        AtomicFile.Write(path, s => s.Write("new"u8));
        Assert.That(File.ReadAllText(path), Is.EqualTo("new"));
        Assert.That(Directory.GetFiles(_dir), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void Failed_write_leaves_the_old_content_and_no_temp_file()
    {
        var path = Path.Combine(_dir, "RS_522726_ZF1.csv");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("half"u8);
            Assert.That(File.Exists(Path.Combine(_dir, ".RS_522726_ZF1.csv.tmp")), Is.True, "written under the temp name");
            throw new InvalidOperationException("crash");
        }));
        Assert.That(File.ReadAllText(path), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Async_write_creates_the_file()
    {
        var path = Path.Combine(_dir, "TH_522726_ZF1.xml");
        await AtomicFile.WriteAsync(path, (s, ct) => s.WriteAsync("x"u8.ToArray(), ct).AsTask());
        Assert.That(await File.ReadAllTextAsync(path), Is.EqualTo("x"));
        Assert.That(AtomicFile.TempPath(path), Is.EqualTo(Path.Combine(_dir, ".TH_522726_ZF1.xml.tmp")));
    }
}
