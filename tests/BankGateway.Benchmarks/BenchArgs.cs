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

    /// <summary><c>--name 10000,50000,100000</c>: positive whole numbers, or null when the option is absent.</summary>
    public static int[]? IntList(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        if (i < 0) return null;
        if (i + 1 >= args.Length) throw new ArgumentException($"{name} expects a comma-separated list of positive whole numbers");
        var parts = args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (int k = 0; k < parts.Length; k++)
        {
            if (!int.TryParse(parts[k].Replace("_", ""), NumberStyles.None, CultureInfo.InvariantCulture, out values[k]) || values[k] <= 0)
                throw new ArgumentException($"{name} expects a comma-separated list of positive whole numbers");
        }
        return values.Length == 0 ? throw new ArgumentException($"{name} expects at least one value") : values;
    }
}
