using BankGateway.Worker.Delivery;
using BankGateway.Domain.Codes;
using BankGateway.Files.Formats;
using Dapper;
using Npgsql;

namespace BankGateway.Worker.Results;

/// <summary>RJ_: the notice for a voucher refused as a whole, produced from its delivery record.</summary>
internal sealed class RejectionResults(NpgsqlDataSource db, OutboundFiles outbound)
{
    private sealed record Rejected(long Id, string AdmDivCode, string VoucherNo, string RejectCode, string RejectDetail, DateTime ReceivedAt);

    public async Task<string> WriteAsync(long deliveryId, string outbox, CancellationToken ct)
    {
        Rejected d;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            d = await connection.QuerySingleAsync<Rejected>(new CommandDefinition("""
                select id, adm_div_code, voucher_no, reject_code, reject_detail, received_at
                from deliveries where id = @deliveryId and outcome = 'REJECTED'
                """, new { deliveryId }, cancellationToken: ct));
        }
        var code = Enum.Parse<RejectCode>(d.RejectCode);
        var notice = new RejectionNotice(d.VoucherNo, d.AdmDivCode, code, OutcomeTable.Reason(code), d.RejectDetail,
            new DateTimeOffset(DateTime.SpecifyKind(d.ReceivedAt, DateTimeKind.Utc)));
        var written = await outbound.EnsureAsync(outbox, FileNames.Rejection(d.AdmDivCode, d.VoucherNo), "RJ", d.AdmDivCode, null, $"delivery:{d.Id}",
            (stream, _) => { RejectionNoticeXml.Write(notice, stream); return Task.CompletedTask; }, ct);
        return written.Path;
    }
}
