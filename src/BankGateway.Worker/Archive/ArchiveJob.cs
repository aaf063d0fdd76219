using Microsoft.Extensions.Logging;
using Quartz;

namespace BankGateway.Worker.Archive;

/// <summary>
/// Daily at <see cref="Time"/> China time on one node of the cluster: purges the copies past the retention, then
/// verifies every kept copy's SM3 (a missing or changed one is logged as an alarm and counted by
/// <c>bankgateway_archive_verify_failures</c>).
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ArchiveJob(ArchiveStore archive, ILogger<ArchiveJob> logger) : IJob
{
    public static readonly JobKey Key = new("archive-daily", "archive");

    /// <summary>After the nightly supervision run (02:30), before the working day.</summary>
    public static readonly TimeOnly Time = new(3, 30);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken ct)
    {
        try
        {
            await archive.PurgeAsync(ct);
            var verified = await archive.VerifyAsync(null, ct);
            if (verified.Problems.Count == 0) logger.LogInformation("Archive: {Count} kept file(s) verified intact", verified.Checked);
            else logger.LogError("Archive: ALARM {Problems} of {Count} kept file(s) missing or changed; run `archive verify` for the list",
                verified.Problems.Count, verified.Checked);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            logger.LogInformation("Archive: daily run stopped for shutdown");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Archive: daily run failed: {Message}; run `archive purge` / `archive verify` by hand", e.Message);
        }
    }
}
