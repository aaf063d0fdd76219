using System.Diagnostics;
using System.Globalization;
using BankGateway.Domain;
using BankGateway.Domain.Catalogue;
using BankGateway.Domain.Validation;
using BankGateway.Domain.Vouchers;
using BankGateway.Files.Formats;
using BankGateway.Files.Signing;

namespace BankGateway.Benchmarks;

/// <summary>
/// <c>parse [--lines N]</c>: generates an N-line list, then times read + decode + parse + field checks
/// (<see cref="LineFieldChecks.Check"/>, F01–F05) on one thread, reports peak RSS of that pass
/// (VmHWM, reset through /proc/self/clear_refs before it) and the product's SM3 of the file against
/// <c>openssl dgst -sm3</c>. Last line: <c>parse: &lt;lines/s&gt; lines/s, peak RSS &lt;n&gt; MB, sm3 &lt;x.xx&gt;x openssl</c>
/// where the SM3 figure is product time ÷ openssl time (below 1 means faster than openssl).
/// </summary>
internal static class ParseBenchmark
{
    public static int Run(string[] args)
    {
        long lines = BenchArgs.Long(args, "--lines", 1_000_000);
        var path = Path.Combine(Path.GetTempPath(), $"QC_522726_BENCH{Environment.ProcessId}.csv");
        try
        {
            var gen = Stopwatch.StartNew();
            long totalFen = SampleListGenerator.Write(path, lines);
            Console.WriteLine($"generated {lines:N0} lines, {new FileInfo(path).Length / 1048576.0:F1} MiB in {gen.Elapsed.TotalSeconds:F1} s: {path}");

            var voucher = new Voucher("5201", "522726", 2024, "BENCH", new DateOnly(2024, 3, 15), "105001",
                SampleListGenerator.Dept, "MZ001", SampleListGenerator.Subsidy, SampleListGenerator.Period,
                "2401009900012345", "独山县民政局零余额账户", FundChannel.TREASURY, "2401009900000001", "独山县财政局国库单一账户",
                new Money(totalFen), checked((int)lines), Path.GetFileName(path), new string('0', 64), DetailEncoding.Utf8, null);
            var entry = new CatalogueEntry(2024, "县级", SampleListGenerator.Dept, "MZ001", SampleListGenerator.Subsidy, FundChannel.TREASURY, "按月", Money.Parse("2000.00"));

            // Warm-up pass (JIT tiers up), then the measured pass with the peak-RSS counter reset. The aggressive
            // collection gives back the heap the generator and the warm-up left committed (17 MB on a 32 MiB-L3 host,
            // whose gen0 budget is sized from the cache), so the figure is the pass's own, not its predecessors'.
            Pass(path, voucher, entry, out _, out _);
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            bool hwmReset = ResetPeakRss();
            var sw = Stopwatch.StartNew();
            long read = Pass(path, voucher, entry, out long ok, out long sumFen);
            sw.Stop();
            long hwmKb = PeakRssKb();
            if (read != lines || ok != lines || sumFen != totalFen)
            {
                Console.Error.WriteLine($"parse check failed: read {read}, passed {ok}, sum {sumFen} vs {totalFen}");
                return 1;
            }
            double perSecond = lines / sw.Elapsed.TotalSeconds;
            if (args.Contains("--breakdown")) Breakdown(path, lines);
            Console.WriteLine($"parse pass: {sw.Elapsed.TotalSeconds:F3} s for {lines:N0} lines, all passed F01–F05; peak RSS {(hwmReset ? "of the pass" : "of the process (clear_refs unavailable)")}");

            var (productSeconds, productHex) = Time(() => Sm3.HashFileHex(path));
            var (opensslSeconds, opensslHex) = Time(() => OpensslSm3(path));
            if (!string.Equals(productHex, opensslHex, StringComparison.OrdinalIgnoreCase))
            {
                Console.Error.WriteLine($"SM3 mismatch: product {productHex}, openssl {opensslHex}");
                return 1;
            }
            Console.WriteLine($"sm3: product {productSeconds:F3} s, openssl {opensslSeconds:F3} s (process start included), digest {productHex}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"parse: {perSecond:F0} lines/s, peak RSS {hwmKb / 1024} MB, sm3 {productSeconds / opensslSeconds:F2}x openssl"));
            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long Pass(string path, Voucher voucher, CatalogueEntry entry, out long ok, out long sumFen)
    {
        ok = 0;
        sumFen = 0;
        long count = 0;
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        using var reader = new IssuanceListReader(fs, DetailEncoding.Utf8, Path.GetFileName(path));
        while (reader.TryRead(out var line))
        {
            count++;
            var check = LineFieldChecks.Check(line, voucher, entry);
            if (check.IsOk) ok++;
            if (check.Amount is { } a) sumFen += a.Fen;
        }
        return count;
    }

    /// <summary>Where the time goes: decoding alone, then decode + parse without the field checks.</summary>
    private static void Breakdown(string path, long lines)
    {
        var sw = Stopwatch.StartNew();
        var decoder = new System.Text.UTF8Encoding(false, true).GetDecoder();
        var bytes = new byte[1 << 16];
        var chars = new char[(1 << 16) + 16];
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
        {
            int n;
            while ((n = fs.Read(bytes)) > 0) decoder.Convert(bytes, 0, n, chars, 0, chars.Length, false, out _, out _, out _);
        }
        Console.WriteLine($"  decode only: {sw.Elapsed.TotalSeconds:F3} s");
        sw.Restart();
        long count = 0;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
        using (var reader = new IssuanceListReader(fs, DetailEncoding.Utf8, "x.csv"))
            while (reader.TryRead(out _)) count++;
        Console.WriteLine($"  decode + parse (no checks): {sw.Elapsed.TotalSeconds:F3} s, {count / sw.Elapsed.TotalSeconds:F0} lines/s");
    }

    private static (double Seconds, string Hex) Time(Func<string> f)
    {
        f(); // warm: page cache, JIT
        var sw = Stopwatch.StartNew();
        var hex = f();
        return (sw.Elapsed.TotalSeconds, hex);
    }

    private static string OpensslSm3(string path)
    {
        var psi = new ProcessStartInfo("openssl", ["dgst", "-sm3", "-r", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"openssl dgst -sm3 exited {p.ExitCode}");
        return output.Split(' ', 2)[0].Trim();
    }

    internal static bool ResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>VmHWM in KB of this process, or of process <paramref name="pid"/>.</summary>
    internal static long PeakRssKb(int? pid = null)
    {
        foreach (var l in File.ReadLines($"/proc/{(pid is { } p ? p.ToString(CultureInfo.InvariantCulture) : "self")}/status"))
            if (l.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(l["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }
}
