namespace BankGateway.Worker.Database;

/// <summary>
/// A folder holding the PostgreSQL server programs. <c>pg_ctl</c> runs the <c>postgres</c>
/// next to itself, so all three must come from the same folder.
/// </summary>
/// <param name="Directory">The folder, e.g. <c>/usr/lib/postgresql/15/bin</c>.</param>
public sealed record PostgresBinaries(string Directory)
{
    /// <summary>Where distribution packages put versioned server binaries (Debian, Ubuntu).</summary>
    public static readonly IReadOnlyList<string> DefaultSearchRoots = ["/usr/lib/postgresql"];

    /// <summary>Path of <c>initdb</c>.</summary>
    public string InitDb => Path.Combine(Directory, "initdb");

    /// <summary>Path of <c>pg_ctl</c>.</summary>
    public string PgCtl => Path.Combine(Directory, "pg_ctl");

    /// <summary>
    /// Finds the server binaries: first a <c>PATH</c> folder holding <c>initdb</c>, <c>pg_ctl</c>
    /// and <c>postgres</c>, then <c>&lt;root&gt;/&lt;version&gt;/bin</c> under each search root,
    /// highest version first.
    /// </summary>
    /// <param name="pathVariable">The <c>PATH</c> value to search.</param>
    /// <param name="searchRoots">Roots of versioned installations, e.g. <c>/usr/lib/postgresql</c>.</param>
    /// <param name="preferredMajorVersion">
    /// The major version an existing data directory was made with (its <c>PG_VERSION</c>): a
    /// server only opens data of its own major version, so a matching installation wins.
    /// </param>
    /// <exception cref="EmbeddedPostgresException">No folder has the binaries.</exception>
    public static PostgresBinaries Locate(string? pathVariable, IEnumerable<string> searchRoots, int? preferredMajorVersion = null)
    {
        var versioned = searchRoots
            .Where(System.IO.Directory.Exists)
            .SelectMany(System.IO.Directory.EnumerateDirectories)
            .Select(dir => (Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1, Bin: Path.Combine(dir, "bin")))
            .Where(x => x.Version >= 0 && IsComplete(x.Bin))
            .OrderByDescending(x => x.Version)
            .ToList();

        if (preferredMajorVersion is { } major && versioned.FirstOrDefault(x => x.Version == major) is { Bin: not null } match)
        {
            return new PostgresBinaries(match.Bin);
        }

        var onPath = (pathVariable ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(IsComplete);
        if (onPath is not null)
        {
            return new PostgresBinaries(Path.GetFullPath(onPath));
        }

        if (versioned.Count > 0)
        {
            return new PostgresBinaries(versioned[0].Bin);
        }

        throw new EmbeddedPostgresException(EmbeddedPostgresException.BinariesNotFoundMessage);
    }

    private static bool IsComplete(string dir) =>
        File.Exists(Path.Combine(dir, "initdb"))
        && File.Exists(Path.Combine(dir, "pg_ctl"))
        && File.Exists(Path.Combine(dir, "postgres"));
}
