using BankGateway.Files.Signing;
using BankGateway.Worker.Hosting;
using Microsoft.Extensions.Logging;

namespace BankGateway.Worker.Intake;

/// <summary>
/// The intake stage: takes every complete set in a local inbox — verified, checked and recorded (or recorded as
/// rejected) by <see cref="VoucherIntake"/> — and moves it to the inbox's processed/. A set that fails for a reason
/// of its own is quarantined and the others are taken. Posting and answering are later stages' work, read from
/// the database.
/// </summary>
internal sealed class IntakeStage(
    VoucherIntake intake,
    GatewaySettings settings,
    GatewayClock clock,
    Containment.Quarantine quarantine,
    Archive.ArchiveStore archive,
    ILogger<IntakeStage> logger) : IDisposable
{
    // Takes across all channels of this process (D59): polls run up to 64 at once, but a set's verify, parse and COPY are CPU
    // work, and more of them at once than there are cores slow the posting they compete with.
    private readonly SemaphoreSlim _takes = new(settings.IntakeConcurrency, settings.IntakeConcurrency);

    /// <summary>
    /// A set whose list is at most this size (about 1,000 lines, a small voucher) is taken without waiting for a slot
    /// (D61): its take is tens of milliseconds and should not queue behind large takes of seconds each.
    /// </summary>
    internal const long LightTakeBytes = 256 * 1024;

    /// <param name="requireStableFiles">Take a file only once its size and time are unchanged since the previous pass (a polled local inbox).</param>
    public async Task RunAsync(string inbox, Func<string, Sm2PublicKey?> financeKeyFor, DateOnly businessDate, bool requireStableFiles,
        RunReport report, CancellationToken ct)
    {
        var box = new LocalInbox(inbox, logger, TimeSpan.FromMinutes(settings.IncompleteSetAlarmMinutes), clock.Provider, requireStableFiles);
        foreach (var set in box.FindCompleteSets())
        {
            var key = financeKeyFor(set.AdmDivCode);
            if (key is null)
            {
                report.Problems.Add($"{set.VoucherFileName}: no finance public key for bureau {set.AdmDivCode} (pass --finance-pub or configure Gateway:Channels); left in the inbox");
                continue;
            }
            if (!box.IsUnchanged(set))
            {
                logger.LogInformation("Intake waits: {Voucher} changed while being listed; taken on a later pass", set.VoucherFileName);
                continue;
            }
            // Contract §12: a set that fails for any reason of its own is held, and the pass goes on.
            string setKey = await Containment.Quarantine.SetKeyAsync(set, ct);
            if (await quarantine.IsSetHeldAsync(setKey, ct))
            {
                report.Quarantined.Add($"{set.VoucherFileName}: held in quarantine (release it on the dashboard to take it again)");
                continue;
            }
            using var slot = IsLight(set) ? null : await HoldTakeSlotAsync(ct);
            try
            {
                using var detailCopy = archive.BeginDetailCopy(set);
                var outcome = await intake.TakeAsync(set, key, businessDate, ct, detailCopy);
                await archive.KeepInboundAsync(set, detailCopy, ct);
                box.MoveToProcessed(set);
                report.Intake.Add(outcome);
            }
            catch (Exception e) when (Containment.Quarantine.IsFaultOfTheWork(e, ct))
            {
                await quarantine.HoldSetAsync(set, setKey, e, ct);
                report.Quarantined.Add($"{set.VoucherFileName}: quarantined: {e.Message}");
            }
        }
    }

    /// <summary>One of the process's take slots (D59), held until disposed. A light set takes without one (D61).</summary>
    internal async Task<IDisposable> HoldTakeSlotAsync(CancellationToken ct)
    {
        await _takes.WaitAsync(ct);
        return new TakeSlot(_takes);
    }

    private sealed class TakeSlot(SemaphoreSlim takes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) takes.Release();
        }
    }

    private static bool IsLight(VoucherSet set)
    {
        if (set.DetailPath is null) return true;
        var detail = new FileInfo(set.DetailPath);
        return !detail.Exists || detail.Length <= LightTakeBytes;
    }

    public void Dispose() => _takes.Dispose();
}
