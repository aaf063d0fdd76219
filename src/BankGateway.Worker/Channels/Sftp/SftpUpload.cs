using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Delivery;
using Microsoft.Extensions.Logging;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// The uploading half of an SFTP channel (contract §1): a file goes to <c>.name.tmp</c> in the remote outbox and
/// is renamed over any earlier copy once complete, then its <c>.sig</c> the same way. The destination's size is
/// checked, and files up to <see cref="ReadBackLimit"/> are read back and their SM3 compared.
/// </summary>
internal sealed class SftpUpload(SftpConnection connection, ILogger logger)
{
    /// <summary>Receipts, notices and ordinary result files are read back whole; a 100 MB result file is checked by size.</summary>
    public const long ReadBackLimit = 64L << 20;

    public async Task<RemoteCopy> UploadAsync(OutboundItem item, CancellationToken ct)
    {
        RemoteCopy? copy = null;
        await connection.RunAsync("upload", async (client, token) =>
        {
            string outbox = connection.Settings.Outbox;
            await connection.EnsureFolderAsync(client, outbox, token);
            copy = await PutAsync(client, item.ContentPath, outbox, item.Name, readBack: true, token);
            await PutAsync(client, item.SignaturePath, outbox, FileNames.Signature(item.Name), readBack: false, token);
        }, ct);
        connection.Counters.FileDelivered();
        logger.LogInformation("{Channel}: uploaded {Name} and its .sig to {Outbox}", connection.Name, item.Name, connection.Settings.Outbox);
        return copy!;
    }

    private async Task<RemoteCopy> PutAsync(SftpClient client, string localPath, string folder, string name, bool readBack, CancellationToken ct)
    {
        string final = SftpConnection.Remote(folder, name);
        string temp = SftpConnection.Remote(folder, "." + name + ".tmp");
        long length = new FileInfo(localPath).Length;
        await using (var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        {
            await SftpConnection.WithTimeoutAsync(async t =>
            {
                await client.UploadFileAsync(source, temp, canOverride: true, uploadProgress: null, t); // a stale .tmp from a broken upload is overwritten
                return true;
            }, connection.TransferTimeout(length), "upload", ct);
        }
        var uploaded = await SftpConnection.WithTimeoutAsync(t => client.GetAttributesAsync(temp, t), connection.Options.OperationTimeout, "stat", ct);
        if (uploaded.Size != length) throw new SshConnectionException($"{name}: uploaded {uploaded.Size} of {length} bytes");
        string? sm3 = null;
        if (readBack && length <= ReadBackLimit)
        {
            using var buffer = new MemoryStream((int)length);
            await SftpConnection.WithTimeoutAsync(async t =>
            {
                await client.DownloadFileAsync(temp, buffer, t);
                return true;
            }, connection.TransferTimeout(length), "read back", ct);
            sm3 = Sm3.HashHex(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        RenameOver(client, temp, final);
        return new RemoteCopy(uploaded.Size, sm3);
    }

    // posix-rename@openssh.com replaces an existing target atomically (a re-sent file); plain SFTP rename refuses to.
    private static void RenameOver(SftpClient client, string temp, string final)
    {
        try
        {
            client.RenameFile(temp, final, isPosix: true);
        }
        catch (NotSupportedException)
        {
            if (client.Exists(final)) client.DeleteFile(final);
            client.RenameFile(temp, final);
        }
    }
}
