using BankGateway.Worker.Posting;
using Spectre.Console;

namespace BankGateway.Worker.Cli;

/// <summary>Progress bars for long commands on a terminal; plain stderr lines when output is not interactive (CI, pipes).</summary>
internal static class Progress
{
    private static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected;

    public static async Task<T> Posting<T>(Func<IProgress<PostingProgress>, Task<T>> run)
    {
        if (!Interactive) return await run(new SyncProgress<PostingProgress>(p =>
        {
            if (p.ChunksDone == p.ChunkCount) Console.Error.WriteLine($"posted {p.VoucherNo}: {p.LinesDone:N0}/{p.LinesTotal:N0} lines");
        }));
        T result = default!;
        await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<long, ProgressTask>();
                var reporter = new SyncProgress<PostingProgress>(p =>
                {
                    if (!tasks.TryGetValue(p.VoucherId, out var task))
                        tasks[p.VoucherId] = task = ctx.AddTask(Markup.Escape($"posting {p.VoucherNo}"), maxValue: p.LinesTotal);
                    task.Value = p.LinesDone;
                });
                result = await run(reporter);
            });
        return result;
    }

    public static async Task<T> Counting<T>(string what, Func<IProgress<long>, Task<T>> run, string unit = "rows")
    {
        if (!Interactive) return await run(new SyncProgress<long>(n => Console.Error.WriteLine($"{what}: {n:N0} {unit}")));
        T result = default!;
        await AnsiConsole.Status().StartAsync(what, async ctx =>
            result = await run(new SyncProgress<long>(n => ctx.Status($"{what}: {n:N0} {unit}"))));
        return result;
    }

    /// <summary>Reports on the caller's thread: Progress&lt;T&gt; would post to the thread pool and race the summary.</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
