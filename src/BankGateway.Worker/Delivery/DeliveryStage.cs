using BankGateway.Files.Signing;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;
using BankGateway.Worker.Hosting.Service;
using BankGateway.Worker.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace BankGateway.Worker.Delivery;

/// <summary>
/// The delivery stage: ships every PENDING <c>file_deliveries</c> row of a bureau through its channel, from the
/// bytes and signature recorded in PostgreSQL, so any node delivers what any node produced. Each file is
/// restored and checked against its recorded SM3, uploaded (temporary name, rename, <c>.sig</c> after it), and
/// marked DELIVERED with the size (and, where read back, the SM3) the destination holds. One file whose stored
/// bytes are damaged is alarmed and skipped; a channel failure leaves the rest for the next pass.
/// </summary>
internal sealed class DeliveryStage(NpgsqlDataSource db, ChannelLock locks, GatewayHome home, ILogger<DeliveryStage> logger)
{
    /// <summary>This node, as recorded in <c>delivered_by</c>.</summary>
    public static readonly string Node = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Delivers the channel's pending files; the caller holds the channel's lock. Returns how many went out.</summary>
    public async Task<int> DeliverHeldAsync(IVoucherChannel channel, CancellationToken ct)
    {
        var pending = await DeliveryQueue.PendingAsync(db, channel.AdmDivCode, ct);
        if (pending.Count == 0) return 0;
        string staging = Path.Combine(home.Root, "delivery", channel.AdmDivCode);
        GatewayHome.CreatePrivateDirectory(staging);
        int delivered = 0;
        foreach (var item in pending)
        {
            ct.ThrowIfCancellationRequested();
            string path = Path.Combine(staging, item.FileName);
            try
            {
                if (channel is LocalChannel local && await local.InPlaceAsync(item.FileName, item.Sm3, await OutboundStore.SignatureAsync(db, item.FileName, ct), ct) is { } there)
                {
                    await DeliveryQueue.MarkDeliveredAsync(db, item.Id, Node, there, CancellationToken.None);
                    GatewayMetrics.FilesDelivered.WithLabels(channel.AdmDivCode).Inc();
                    delivered++;
                    continue;
                }
                if (!await OutboundStore.RestoreAsync(db, item.FileName, item.Sm3, path, ct))
                    throw new OutboundIntegrityException($"{item.FileName}: no bytes stored in the database");
                FaultPoints.Reach(FaultPoints.BeforeUpload);
                long size = new FileInfo(path).Length;
                var remote = await channel.UploadAsync(new OutboundItem(item.FileName, path, SignatureFile.SigPath(path), item.Sm3), ct);
                if (remote.Size != size || (remote.Sm3 is not null && remote.Sm3 != item.Sm3))
                    throw new OutboundIntegrityException($"{item.FileName}: the destination holds {remote.Size} bytes (SM3 {remote.Sm3 ?? "not read"}), " +
                        $"not the {size} bytes with SM3 {item.Sm3} sent");
                await DeliveryQueue.MarkDeliveredAsync(db, item.Id, Node, remote, CancellationToken.None);
                GatewayMetrics.FilesDelivered.WithLabels(channel.AdmDivCode).Inc();
                delivered++;
                logger.LogInformation("Delivery: {File} delivered to bureau {Adm} ({Size} bytes{Checked})", item.FileName, channel.AdmDivCode, size,
                    remote.Sm3 is null ? "" : ", SM3 read back");
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                await DeliveryQueue.MarkFailedAsync(db, item.Id, e.Message, CancellationToken.None);
                GatewayMetrics.DeliveryFailures.WithLabels(channel.AdmDivCode).Inc();
                if (e is not OutboundIntegrityException) throw; // the channel failed: the rest waits for the next pass
                logger.LogError("ALARM delivery: {Message}; the file is not sent, the bureau's other files are", e.Message);
            }
            finally
            {
                TryDelete(path);
                TryDelete(SignatureFile.SigPath(path));
            }
        }
        return delivered;
    }

    /// <summary>
    /// Delivers what is pending for <paramref name="bureaus"/> (all with something pending when null) that this node
    /// has a channel for, each under its channel's lock, waiting for a running poll when <paramref name="wait"/>.
    /// A failing channel is logged and counted; the others go on.
    /// </summary>
    public async Task DeliverAsync(ChannelRegistry channels, IEnumerable<string>? bureaus, bool wait, CancellationToken ct)
    {
        foreach (var adm in (bureaus ?? await DeliveryQueue.BureausWithPendingAsync(db, ct)).Distinct())
        {
            if (channels.Find(adm) is not { } entry) continue;
            try
            {
                await using var held = wait ? await locks.AcquireAsync(adm, ct) : await locks.TryAcquireAsync(adm, ct);
                if (held is null) continue; // the channel's poll is running and delivers itself
                await DeliverHeldAsync(entry.Channel, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                GatewayMetrics.ChannelErrors.WithLabels(adm).Inc();
                logger.LogError(e, "Delivery: channel {Adm} failed: {Message}; the next pass delivers again", adm, e.Message);
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
