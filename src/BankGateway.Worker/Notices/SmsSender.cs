using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using System.Threading.RateLimiting;
using BankGateway.Worker.Hosting;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace BankGateway.Worker.Notices;

/// <summary>What one sending pass did.</summary>
/// <param name="Sent">Notices the platform acknowledged (2xx) and that are now SENT.</param>
/// <param name="Failed">Notices tried and not acknowledged: still PENDING, attempt and error recorded, backed off.</param>
/// <param name="Pending">Notices still pending after the pass (all of them, due or backed off).</param>
/// <param name="Stopped">Why the pass sent nothing or stopped early (no URL, quiet hours, platform unreachable), or null.</param>
/// <param name="Unreachable">The platform could not be reached (circuit open) or acknowledged nothing it was sent.</param>
internal sealed record SmsSendReport(int Sent, int Failed, long Pending, string? Stopped, bool Unreachable)
{
    public int Segments { get; init; }
}

/// <summary>
/// Sends pending SMS notices to <c>Gateway:Sms:Url</c> (contract §16): claims a batch with
/// <c>FOR UPDATE SKIP LOCKED</c> (any node, or a <c>notices send</c>, can send beside the others), POSTs
/// <c>{"id","phone","text"}</c> for each under a rate limit, with Polly retry and a circuit breaker, and
/// in the same transaction marks SENT exactly the notices the platform answered 2xx. A notice not
/// acknowledged keeps PENDING with its error and an exponential back-off. A crash before the commit
/// leaves them PENDING: they go again with the same id, which the platform drops.
/// </summary>
internal sealed class SmsSender : IDisposable
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All), // Chinese text as UTF-8, not \u escapes
    };

    private readonly NpgsqlDataSource _db;
    private readonly GatewayClock _time;
    private readonly SmsSettings _settings;
    private readonly ILogger<SmsSender> _logger;
    private readonly HttpClient _http;
    private readonly RateLimiter _limiter;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    private sealed record Pending(string Id, string Phone, string Text);

    private sealed record SmsRequest(string Id, string Phone, string Text);

    private enum Result { Acknowledged, Failed, NotSent }

    public SmsSender(NpgsqlDataSource db, GatewayClock time, SmsSettings settings, ILogger<SmsSender> logger)
    {
        _db = db;
        _time = time;
        _settings = settings;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(5, settings.TimeoutSeconds)),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        { Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds) };
        _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.PerSecond,
            TokensPerPeriod = settings.PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
        // Transport errors, timeouts, 5xx, 408 and 429 are retried at once (twice) and count towards the breaker;
        // any other non-2xx is simply not an acknowledgement (recorded, backed off).
        var transient = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TaskCanceledException>()
            .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                FailureRatio = 0.7,
                MinimumThroughput = 20,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = TimeSpan.FromSeconds(15),
            })
            .Build();
    }

    private int BatchSize => Math.Clamp(_settings.PerSecond * 2, 10, 500);

    private int Parallelism => Math.Clamp(_settings.PerSecond, 1, 8);

    public bool IsQuietNow => _settings.IsQuiet(TimeOnly.FromDateTime(_time.Provider.GetUtcNow().ToOffset(China).DateTime));

    /// <summary>
    /// One pass. <paramref name="operatorRun"/> (<c>notices send</c>): every pending notice is due now, each is
    /// tried at most once in this pass. Otherwise (the service) only notices whose back-off has passed.
    /// Stops at <paramref name="budget"/>, at quiet hours, when the circuit opens, or when cancelled (what was
    /// acknowledged until then is recorded first).
    /// </summary>
    public async Task<SmsSendReport> SendAsync(bool operatorRun, TimeSpan budget, CancellationToken ct)
    {
        if (_settings.Url is null)
            return new SmsSendReport(0, 0, await PendingCountAsync(ct), "Gateway:Sms:Url is not set: notices wait", false);
        if (IsQuietNow)
            return new SmsSendReport(0, 0, await PendingCountAsync(ct), $"quiet hours {_settings.QuietHours!.Value.From:HH\\:mm}-{_settings.QuietHours.Value.To:HH\\:mm} China time: nothing sent", false);

        var started = _time.UtcNow;
        var until = DateTime.UtcNow + budget;
        if (operatorRun)
        {
            await using var connection = await _db.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(SmsNoticeSql.DueNow, new { now = started }, cancellationToken: ct, commandTimeout: 0));
        }

        int sent = 0, failed = 0, segments = 0;
        string? stopped = null;
        bool unreachable = false;
        while (!ct.IsCancellationRequested && DateTime.UtcNow < until)
        {
            if (IsQuietNow) { stopped = "quiet hours began: sending paused"; break; }
            var batch = await SendBatchAsync(operatorRun ? started : _time.UtcNow, ct);
            if (batch is null) break; // nothing due
            sent += batch.Value.Sent;
            failed += batch.Value.Failed;
            segments += batch.Value.Segments;
            if (batch.Value.CircuitOpen)
            {
                stopped = "the SMS platform cannot be reached (circuit open): the rest wait";
                unreachable = true;
                break;
            }
        }
        long pending = await PendingCountAsync(CancellationToken.None);
        if (failed > 0 && sent == 0) unreachable = true;
        return new SmsSendReport(sent, failed, pending, stopped, unreachable) { Segments = segments };
    }

    private async Task<(int Sent, int Failed, int Segments, bool CircuitOpen)?> SendBatchAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var batch = (await connection.QueryAsync<Pending>(new CommandDefinition(SmsNoticeSql.Claim,
            new { cutoff, limit = BatchSize }, tx, cancellationToken: ct))).ToList();
        if (batch.Count == 0)
        {
            await tx.CommitAsync(ct);
            return null;
        }

        var results = new ConcurrentQueue<(Pending Notice, Result Result, string? Error)>();
        int circuitOpen = 0;
        try
        {
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (notice, token) =>
            {
                if (Volatile.Read(ref circuitOpen) != 0) return;
                var (result, error) = await SendOneAsync(notice, token);
                if (result == Result.NotSent) Interlocked.Exchange(ref circuitOpen, 1);
                else results.Enqueue((notice, result, error));
            });
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutdown: what was acknowledged is still recorded below; the rest stays pending.
        }

        var done = results.ToList();
        if (done.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(SmsNoticeSql.Record, new
            {
                now = _time.UtcNow,
                ids = done.Select(d => d.Notice.Id).ToArray(),
                oks = done.Select(d => d.Result == Result.Acknowledged).ToArray(),
                errors = done.Select(d => d.Error).ToArray(),
            }, tx, commandTimeout: 0, cancellationToken: CancellationToken.None));
        }
        await tx.CommitAsync(CancellationToken.None);

        int sent = done.Count(d => d.Result == Result.Acknowledged), failed = done.Count - sent;
        int segments = done.Where(d => d.Result == Result.Acknowledged).Sum(d => SmsTemplate.Segments(d.Notice.Text));
        SmsMetrics.Sent.Inc(sent);
        SmsMetrics.FailedAttempts.Inc(failed);
        if (failed > 0)
            _logger.LogWarning("SMS: {Failed} of {Count} notice(s) not acknowledged, retried later; first error: {Error}",
                failed, done.Count, done.First(d => d.Result != Result.Acknowledged).Error);
        ct.ThrowIfCancellationRequested();
        return (sent, failed, segments, circuitOpen != 0);
    }

    private async Task<(Result, string?)> SendOneAsync(Pending notice, CancellationToken ct)
    {
        using var lease = await _limiter.AcquireAsync(1, ct);
        try
        {
            var request = new SmsRequest(notice.Id, notice.Phone, notice.Text);
            using var response = await _pipeline.ExecuteAsync(
                async token => await _http.PostAsJsonAsync(_settings.Url, request, Json, token), ct);
            return response.IsSuccessStatusCode
                ? (Result.Acknowledged, null)
                : (Result.Failed, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd());
        }
        catch (BrokenCircuitException)
        {
            return (Result.NotSent, null);
        }
        catch (HttpRequestException e)
        {
            return (Result.Failed, Truncate(e.Message));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return (Result.Failed, $"no answer within {_settings.TimeoutSeconds} s");
        }
    }

    private async Task<long> PendingCountAsync(CancellationToken ct)
    {
        await using var connection = await _db.OpenConnectionAsync(ct);
        var (count, _) = await connection.QuerySingleAsync<(long Count, DateTime? Oldest)>(new CommandDefinition(SmsNoticeSql.Pending, cancellationToken: ct));
        return count;
    }

    private static string Truncate(string s) => s.Length <= 500 ? s : s[..500];

    public void Dispose()
    {
        _http.Dispose();
        _limiter.Dispose();
    }
}
