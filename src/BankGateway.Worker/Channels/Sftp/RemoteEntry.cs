namespace BankGateway.Worker.Channels.Sftp;

/// <summary>A file in a remote folder as listed: name, size and modification time (whole seconds, as SFTP carries it).</summary>
internal sealed record RemoteEntry(string Name, long Size, long MtimeUnix)
{
    public bool SameAs(long size, long mtimeUnix) => Size == size && MtimeUnix == mtimeUnix;
}
