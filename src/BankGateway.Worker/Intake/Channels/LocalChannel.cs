namespace BankGateway.Worker.Intake.Channels;

/// <summary>
/// The local-folder channel (<c>Kind = Local</c>, contract §1): the configured Inbox and Outbox are the
/// pipeline's own folders, so there is nothing to fetch, acknowledge or deliver.
/// </summary>
internal sealed class LocalChannel : IVoucherChannel
{
    public LocalChannel(ChannelSettings settings)
    {
        AdmDivCode = settings.AdmDivCode;
        LocalInbox = Path.GetFullPath(settings.Inbox);
        LocalOutbox = Path.GetFullPath(settings.Outbox);
    }

    public string AdmDivCode { get; }

    public string LocalInbox { get; }

    public string LocalOutbox { get; }

    public Task FetchAsync(CancellationToken ct) => Task.CompletedTask;

    public Task AcknowledgeTakenAsync(CancellationToken ct) => Task.CompletedTask;

    public Task DeliverAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Ready when both folders exist and this process can create a file in each.</summary>
    public Task<ChannelHealth> CheckAsync(CancellationToken ct)
    {
        foreach (var (what, folder) in new[] { ("inbox", LocalInbox), ("outbox", LocalOutbox) })
        {
            if (!Directory.Exists(folder)) return Task.FromResult(new ChannelHealth(false, $"{what} folder {folder} does not exist"));
            // A dot-name ending in .tmp: intake never looks at it, even if a crash left it behind.
            string probe = Path.Combine(folder, $".bankgateway-probe-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
            try
            {
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Task.FromResult(new ChannelHealth(false, $"{what} folder {folder} is not writable: {e.Message}"));
            }
        }
        return Task.FromResult(new ChannelHealth(true, "local folders present and writable"));
    }
}
