using Dapper;
using Npgsql;
using BankGateway.Domain.States;

namespace BankGateway.Worker.Results;

/// <summary>
/// Answers an identical re-delivery again: the files already produced for it are put in the outbox
/// byte for byte. A voucher still posting has no answer yet; it gets one when it completes.
/// </summary>
internal sealed class DeliveryAcknowledger(NpgsqlDataSource db, RejectionResults rejections, VoucherResults results)
{
    public async Task AcknowledgeAsync(long deliveryId, string outbox, CancellationToken ct)
    {
        (string Outcome, long? VoucherId, string? Status) d;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            d = await connection.QuerySingleAsync<(string, long?, string?)>(new CommandDefinition("""
                select d.outcome, d.voucher_id, v.status from deliveries d left join vouchers v on v.id = d.voucher_id where d.id = @deliveryId
                """, new { deliveryId }, cancellationToken: ct));
        }
        if (d.Outcome == DeliveryOutcome.Rejected.Text) await rejections.WriteAsync(deliveryId, outbox, ct);
        else if (d.Status == VoucherStatus.Completed.Text) await results.WriteAsync(d.VoucherId!.Value, outbox, ct);
    }
}
