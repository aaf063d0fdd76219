using BankGateway.Files.Signing;
using BankGateway.Worker.Samples;

namespace BankGateway.Pipeline.Tests.Pipeline;

/// <summary>The committed interface-samples/, copied to a test's own folder with their arrival times restored.</summary>
internal static class SampleFiles
{
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BankGateway.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("BankGateway.sln not found above the test folder");
    }

    public static string Committed => Path.Combine(RepoRoot(), "interface-samples");

    public static string Key(string name) => Path.Combine(Committed, "keys", name);

    public static Sm2PublicKey FinancePublic => Sm2PublicKey.Load(Key("finance_public.pem"));

    /// <summary>Copies the whole sample tree under <paramref name="work"/> so the test may move and write files.</summary>
    public static string CopyTo(string work)
    {
        string target = Path.Combine(work, "samples");
        foreach (var file in Directory.EnumerateFiles(Committed, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(Committed, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        SampleSetGenerator.SetArrivalTimes(target);
        return target;
    }

    /// <summary>Rows of a simple CSV (no quoted fields), header skipped.</summary>
    public static List<string[]> Rows(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
}
