using BankGateway.Benchmarks;

// Verb dispatcher: `parse [--lines N]`; add `pipeline` here.
var verbs = new Dictionary<string, Func<string[], int>>(StringComparer.Ordinal)
{
    ["parse"] = ParseBenchmark.Run,
};

if (args.Length == 0 || !verbs.TryGetValue(args[0], out var verb))
{
    Console.Error.WriteLine($"usage: BankGateway.Benchmarks <{string.Join("|", verbs.Keys)}> [options]");
    Console.Error.WriteLine("  parse [--lines N]   issuance-list decode+parse+field checks, peak RSS, SM3 vs openssl (N default 1,000,000)");
    return 2;
}
return verb(args[1..]);
