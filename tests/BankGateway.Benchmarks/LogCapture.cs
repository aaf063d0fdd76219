using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BankGateway.Benchmarks;

/// <summary>
/// Keeps every log line of the product with the time it was written (relative to a shared
/// stopwatch), so the benchmark can tell where a timed run spent its time from the product's own
/// log lines. Warnings and errors always go to stderr; everything with <c>echo</c>.
/// </summary>
internal sealed class LogCapture(bool echo) : ILoggerProvider, ILoggerFactory
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Entry> _entries = new();

    public readonly record struct Entry(TimeSpan At, LogLevel Level, string Category, string Message);

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Lines logged at or after <paramref name="from"/>.</summary>
    public List<Entry> Since(TimeSpan from) => _entries.Where(e => e.At >= from).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private void Add(LogLevel level, string category, string message)
    {
        var entry = new Entry(_clock.Elapsed, level, category, message);
        _entries.Enqueue(entry);
        if (echo || level >= LogLevel.Warning)
            Console.Error.WriteLine($"  [{entry.At.TotalSeconds,8:F3}s {level.ToString()[..4].ToLowerInvariant()}] {message}");
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            if (exception is not null) message += " | " + exception.GetType().Name + ": " + exception.Message;
            owner.Add(logLevel, category, message);
        }
    }
}
