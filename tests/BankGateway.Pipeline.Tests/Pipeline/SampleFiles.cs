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

    /// <summary>
    /// A committed key. git keeps no 0600 mode, and the gateway refuses a private key others may read, so the
    /// committed private keys are made owner-only first (as the sample generator and keygen write them).
    /// </summary>
    public static string Key(string name)
    {
        string keys = Path.Combine(Committed, "keys");
        MakePrivateKeysOwnerOnly(keys);
        return Path.Combine(keys, name);
    }

    /// <summary>chmod 600 every *_private.pem / private.pem under <paramref name="folder"/>.</summary>
    public static void MakePrivateKeysOwnerOnly(string folder)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(folder)) return;
        foreach (var file in Directory.EnumerateFiles(folder, "*private*.pem", SearchOption.AllDirectories))
        {
            if ((File.GetUnixFileMode(file) & KeyFiles.NotForOthers) != 0)
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

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
        MakePrivateKeysOwnerOnly(target);
        return target;
    }

    /// <summary>Rows of a simple CSV (no quoted fields), header skipped.</summary>
    public static List<string[]> Rows(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
}
