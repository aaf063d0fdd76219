
namespace BankGateway.Worker.Database;

// First use: the folders, their owner and initdb with the server settings below (the rest of the class starts,
// reuses and stops the server).
public sealed partial class EmbeddedPostgres
{
    private const string ServerSettings = """

        # --- BankGateway embedded server (written once at initdb; edit freely) ---
        listen_addresses = ''                # unix socket only: there is no TCP port to guard
        unix_socket_permissions = 0700
        shared_buffers = 256MB
        fsync = on
        synchronous_commit = on              # a reported posting must survive a power cut: this is money
        full_page_writes = on
        wal_level = minimal                  # no replication or PITR from the embedded server; far less WAL on bulk loads
        max_wal_senders = 0                  # required by wal_level = minimal
        max_wal_size = 2GB                   # fewer forced checkpoints during large voucher batches
        checkpoint_timeout = 15min
        checkpoint_completion_target = 0.9
        log_line_prefix = '%m [%p] '

        """;

    private async Task PrepareFoldersAsync(PostgresAccount account, CancellationToken cancellationToken)
    {
        if (!File.Exists(LogFile))
        {
            await File.WriteAllBytesAsync(LogFile, [], cancellationToken);
        }

        if (account.RunAs is null)
        {
            return;
        }

        var opened = account.GrantTraversal(_home.Logs);
        if (opened.Count > 0)
        {
            _logger.LogWarning(
                "Granted traverse permission (o+x) on {Folders} so the '{Account}' account running PostgreSQL can reach {Home}",
                string.Join(", ", opened), account.RunAs, _home.Root);
        }

        await account.TakeOwnershipAsync(_home.Run, cancellationToken);
        await account.TakeOwnershipAsync(LogFile, cancellationToken);
        if (Directory.Exists(_home.PgData))
        {
            await account.TakeOwnershipAsync(_home.PgData, cancellationToken);
        }
    }

    private async Task InitialiseAsync(PostgresBinaries binaries, PostgresAccount account, CancellationToken cancellationToken)
    {
        if (Directory.Exists(_home.PgData))
        {
            if (Directory.EnumerateFileSystemEntries(_home.PgData).Any())
            {
                throw new EmbeddedPostgresException(
                    $"{_home.PgData} is not empty but holds no PostgreSQL cluster (no PG_VERSION). Move it away, or set ConnectionStrings:Gateway / BANKGATEWAY_DB");
            }

            Directory.Delete(_home.PgData);
        }

        // initdb into a staging folder and rename on success: a command killed half-way through
        // initdb leaves only the staging folder, which the next start throws away.
        var staging = _home.PgData + ".initializing";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        GatewayHome.CreatePrivateDirectory(staging);
        await account.TakeOwnershipAsync(staging, cancellationToken);

        _logger.LogInformation("Initialising embedded PostgreSQL in {PgData} with {Binaries}", _home.PgData, binaries.Directory);
        var result = await account.RunAsync(
            binaries.InitDb,
            [
                "-D", staging,
                "-U", SuperUser,
                "-E", "UTF8",

                // C collation: byte order, identical on every machine, and the fastest to compare.
                "--locale=C",

                // Trust only on the socket, which lives in a folder only the server's owner can enter.
                "--auth-local=trust",
                "--auth-host=reject",
                "--no-instructions",
                .. _options.SyncAfterInitDb ? Array.Empty<string>() : ["--no-sync"],
            ],
            cancellationToken);
        if (!result.Succeeded)
        {
            throw new EmbeddedPostgresException($"initdb failed for {_home.PgData}: {result.Output}");
        }

        await File.AppendAllTextAsync(Path.Combine(staging, "postgresql.conf"), ServerSettings, cancellationToken);
        Directory.Move(staging, _home.PgData);
    }
}
