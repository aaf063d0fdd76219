using Dapper;
using Npgsql;

namespace BankGateway.Worker.Channels.Sftp;

/// <summary>
/// <c>taken_files</c>: remote files the pipeline took whose rename into the remote <c>processed/</c> the server
/// refused, for every node (it was a file on one node's disk). Such a file is skipped when listing (same name, size
/// and time) and, if it reappears touched, discarded after download when its digest is remembered: never taken twice.
/// The rows are read once per fetch or acknowledgement; the checks in between run on that copy.
/// </summary>
internal sealed class TakenFiles(NpgsqlDataSource db, string admDivCode)
{
    private List<(string Sm3, RemoteEntry Entry)> _entries = [];

    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string, string, long, long)>(new CommandDefinition(
            "select sm3, name, size_bytes, mtime_unix from taken_files where adm_div_code = @admDivCode", new { admDivCode }, cancellationToken: ct));
        _entries = rows.Select(r => (r.Item1, new RemoteEntry(r.Item2, r.Item3, r.Item4))).ToList();
    }

    public bool Contains(RemoteEntry entry) => _entries.Any(e => e.Entry == entry);

    public bool HasName(string name) => _entries.Any(e => e.Entry.Name == name);

    public bool ContainsDigest(string sm3) => _entries.Any(e => e.Sm3 == sm3);

    public async Task RememberAsync(string sm3, RemoteEntry entry, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into taken_files (adm_div_code, sm3, name, size_bytes, mtime_unix) values (@admDivCode, @sm3, @name, @size, @mtime)
            on conflict do nothing
            """, new { admDivCode, sm3, name = entry.Name, size = entry.Size, mtime = entry.MtimeUnix }, cancellationToken: ct));
        _entries.Add((sm3, entry));
    }
}
