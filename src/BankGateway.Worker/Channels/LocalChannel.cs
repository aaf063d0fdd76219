namespace BankGateway.Worker.Channels;

/// <summary>
/// The local-folder channel (<c>Kind = Local</c>, contract §1): the configured Inbox and Outbox are the
/// pipeline's own folders, so there is nothing to fetch or acknowledge; an upload puts the file in the outbox
/// unless the same bytes and signature are there already (the local copy written when it was produced).
/// </summary>
internal sealed class LocalChannel : IVoucherChannel
{
    public LocalChannel(ChannelSettings settings)
        : this(settings.AdmDivCode, settings.Inbox, settings.Outbox)
    {
    }

    /// <summary>A bureau's folders given directly (<c>run-once</c>).</summary>
    public LocalChannel(string admDivCode, string inbox, string outbox)
    {
        AdmDivCode = admDivCode;
        LocalInbox = Path.GetFullPath(inbox);
        LocalOutbox = Path.GetFullPath(outbox);
    }

    public string AdmDivCode { get; }

    public string LocalInbox { get; }

    public string LocalOutbox { get; }

    public Task FetchAsync(CancellationToken ct) => Task.CompletedTask;

    public Task AcknowledgeTakenAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// What the outbox holds when it is already the file with this SM3 and exactly this signature (the local copy
    /// written when it was produced), else null: the delivery is then confirmed without copying the bytes again.
    /// </summary>
    public async Task<Delivery.RemoteCopy?> InPlaceAsync(string name, string sm3, byte[] signature, CancellationToken ct)
    {
        string target = Path.Combine(LocalOutbox, name);
        string sig = BankGateway.Files.Signing.SignatureFile.SigPath(target);
        if (!File.Exists(target) || !File.Exists(sig) || !(await File.ReadAllBytesAsync(sig, ct)).AsSpan().SequenceEqual(signature)) return null;
        string onDisk = await BankGateway.Files.Signing.Sm3.HashFileHexAsync(target, ct);
        return onDisk == sm3 ? new Delivery.RemoteCopy(new FileInfo(target).Length, onDisk) : null;
    }

    public async Task<Delivery.RemoteCopy> UploadAsync(OutboundItem item, CancellationToken ct)
    {
        Directory.CreateDirectory(LocalOutbox);
        string target = Path.Combine(LocalOutbox, item.Name);
        string sig = BankGateway.Files.Signing.SignatureFile.SigPath(target);
        byte[] signature = await File.ReadAllBytesAsync(item.SignaturePath, ct);
        if (await InPlaceAsync(item.Name, item.Sm3, signature, ct) is null)
        {
            await BankGateway.Files.Formats.AtomicFile.WriteAsync(target, async (stream, token) =>
            {
                await using var source = File.OpenRead(item.ContentPath);
                await source.CopyToAsync(stream, token);
            }, ct);
            await BankGateway.Files.Formats.AtomicFile.WriteAsync(sig, (stream, token) => stream.WriteAsync(signature, token).AsTask(), ct);
        }
        return new Delivery.RemoteCopy(new FileInfo(target).Length, await BankGateway.Files.Signing.Sm3.HashFileHexAsync(target, ct));
    }

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
