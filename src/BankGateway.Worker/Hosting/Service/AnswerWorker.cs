using BankGateway.Worker.Channels;
using BankGateway.Worker.Delivery;
using BankGateway.Worker.Results;
using Microsoft.Extensions.Logging;

namespace BankGateway.Worker.Hosting.Service;

/// <summary>
/// The results and delivery stages on this node, in that order each round: answers what completed (for bureaus this
/// node has a channel for; the others are answered by a node that has it), then ships every channel's pending files
/// whose lock is free. A voucher's RS_ and HD_ are both recorded before the round's delivery looks at them.
/// </summary>
internal sealed class AnswerWorker(ResultsStage results, DeliveryStage delivery, ChannelRegistry channels, ILogger<AnswerWorker> logger) : StageWorker(logger)
{
    protected override async Task<bool> RoundAsync(CancellationToken ct)
    {
        var outboxes = channels.OutboxesForJobs(logger);
        var answered = await results.RunAsync(null, adm => channels.Find(adm) is null ? null : outboxes(adm), ct);
        await delivery.DeliverAsync(channels, null, wait: false, ct);
        return answered.Vouchers.Count + answered.Rejections.Count > 0;
    }
}
