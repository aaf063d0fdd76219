using BankGateway.Benchmarks;

// Verb dispatcher: `parse [--lines N]`, `pipeline [--lines N] [--chunk-size C] ...` (see specs/performance.md).
var verbs = new Dictionary<string, Func<string[], int>>(StringComparer.Ordinal)
{
    ["parse"] = ParseBenchmark.Run,
    ["pipeline"] = PipelineBenchmark.Run,
    ["dashboard"] = DashboardBenchmark.Run,
    ["peakday"] = PeakdayBenchmark.Run,
};

if (args.Length == 0 || !verbs.TryGetValue(args[0], out var verb))
{
    Console.Error.WriteLine($"usage: BankGateway.Benchmarks <{string.Join("|", verbs.Keys)}> [options]");
    Console.Error.WriteLine("  parse [--lines N]   issuance-list decode+parse+field checks, peak RSS, SM3 vs openssl (N default 1,000,000)");
    Console.Error.WriteLine("  pipeline [--lines N] [--chunk-size C] [--accounts-multiple M]   product end to end vs raw set-based limit vs naive row-by-row, one fresh database");
    Console.Error.WriteLine("  pipeline --sweep C1,C2,... [--repeat R]   lines/s per chunk size (fresh database per run)");
    Console.Error.WriteLine("  pipeline --profile [--accounts-multiple M]   stages one by one + EXPLAIN (ANALYZE, BUFFERS) of one chunk statement");
    Console.Error.WriteLine("  dashboard [--vouchers N] [--lines L] [--requests R]   overview p50/p95 over N vouchers and L lines seeded in SQL (1,000 / 5,000,000 / 50)");
    Console.Error.WriteLine("  peakday [--bureaus N] [--lines L] [--min-size a] [--max-size b] [--nodes 1|2] [--arrival-seconds A]   N bureaus' vouchers on the service, one fresh database (50 / 2,000,000 / 10 / 200,000 / 1 / 60)");
    return 2;
}
return verb(args[1..]);
