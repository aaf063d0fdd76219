using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// A stage run over and over on every node of the service, reading its work from the database, beside the
/// channel polls (intake): idle, it looks again after <see cref="IdleDelay"/>; a failed round (the database failing
/// over) is logged and retried, nothing lost. <see cref="PostingWorker"/> posts; <see cref="AnswerWorker"/> answers
/// and delivers, so the next voucher is taken and small ones are answered while a large one posts.
/// </summary>
internal abstract class StageWorker(ILogger logger) : BackgroundService
{
    public static readonly TimeSpan IdleDelay = TimeSpan.FromSeconds(1);

    /// <summary>One round; false when there was nothing to do.</summary>
    protected abstract Task<bool> RoundAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await RoundAsync(stoppingToken)) await Task.Delay(IdleDelay, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                logger.LogInformation("{Worker}: stopped for shutdown; whole chunks are committed, the next start resumes", GetType().Name);
                return;
            }
            catch (Exception e)
            {
                // The database is failing over or unreachable: nothing is lost, the next round redoes the work.
                logger.LogError(e, "{Worker}: round failed: {Message}; retrying in 5 s", GetType().Name, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
