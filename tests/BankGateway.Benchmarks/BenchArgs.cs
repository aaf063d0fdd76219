using System.Globalization;

namespace BankGateway.Benchmarks;

/// <summary>Tiny option reader for the benchmark verbs (<c>--name value</c>).</summary>
internal static class BenchArgs
{
    public static long Long(string[] args, string name, long fallback)
    {
        int i = Array.IndexOf(args, name);
        if (i < 0) return fallback;
        if (i + 1 >= args.Length || !long.TryParse(args[i + 1].Replace("_", "").Replace(",", ""), NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v <= 0)
            throw new ArgumentException($"{name} expects a positive whole number");
        return v;
    }
}
