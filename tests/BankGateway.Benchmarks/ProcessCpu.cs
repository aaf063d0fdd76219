using System.Globalization;

namespace BankGateway.Benchmarks;

/// <summary>
/// CPU seconds (user + system) of this machine's processes from <c>/proc/&lt;pid&gt;/stat</c>, grouped: PostgreSQL
/// (every process named <c>postgres</c>), each given node, and the rest. A load's CPU is the difference of two
/// snapshots; a process that ends in between is missed (PostgreSQL's pooled sessions and the nodes live through
/// a load). On a saturated machine this, not elapsed time, tells which side does the work.
/// </summary>
internal sealed class ProcessCpu
{
    private const double TicksPerSecond = 100; // USER_HZ: 100 on every Linux .NET runs on
    private readonly Dictionary<int, (string Name, long Ticks)> _ticks;

    private ProcessCpu(Dictionary<int, (string, long)> ticks) => _ticks = ticks;

    public static ProcessCpu Snapshot()
    {
        var ticks = new Dictionary<int, (string, long)>();
        if (!Directory.Exists("/proc")) return new ProcessCpu(ticks);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                string name = stat[(open + 1)..close];
                // Fields after the name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
                var rest = stat[(close + 2)..].Split(' ');
                ticks[pid] = (name, long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                // The process ended while we read it.
            }
        }
        return new ProcessCpu(ticks);
    }

    /// <summary>One line: CPU seconds since <paramref name="before"/> of PostgreSQL, each node, and everything else.</summary>
    public string Since(ProcessCpu before, IReadOnlyList<(string Label, int Pid)> nodes)
    {
        double Seconds(int pid, long ticks) => (ticks - (before._ticks.TryGetValue(pid, out var b) ? b.Ticks : 0)) / TicksPerSecond;
        double postgres = 0, other = 0;
        var byNode = nodes.ToDictionary(n => n.Pid, _ => 0.0);
        foreach (var (pid, (name, ticks)) in _ticks)
        {
            double s = Seconds(pid, ticks);
            if (byNode.ContainsKey(pid)) byNode[pid] = s;
            else if (name == "postgres") postgres += s;
            else other += s;
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"PostgreSQL {postgres:F0} s, {string.Join(", ", nodes.Select(n => $"{n.Label} {byNode[n.Pid]:F0} s"))}, other processes {other:F0} s");
    }
}
