namespace BankGateway.Worker.Database;

/// <summary>
/// An exclusive lock between processes on one machine, held while the returned stream is open.
/// On Unix, .NET takes <c>flock(LOCK_EX)</c> for <see cref="FileShare.None"/>, and the kernel
/// drops it when the holder dies, so a crashed worker never leaves the lock stuck.
/// </summary>
internal static class FileLock
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);

    public static async Task<FileStream> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Another command is initialising or starting the server; it will be done shortly.
                await Task.Delay(RetryDelay, cancellationToken);
            }
            catch (IOException ex)
            {
                throw new EmbeddedPostgresException(
                    $"Timed out after {timeout.TotalSeconds:0} s waiting for {path}: another gateway command is still starting the embedded PostgreSQL.", ex);
            }
        }
    }
}
