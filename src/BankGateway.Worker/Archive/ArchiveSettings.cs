using BankGateway.Worker.Database;
using Microsoft.Extensions.Configuration;

namespace BankGateway.Worker.Archive;

/// <summary>
/// Where kept copies live and for how long (section <c>Gateway:Archive</c>). Fifteen years by default: vouchers,
/// lists and answers are accounting records; a bank whose own rule is longer raises it.
/// </summary>
internal sealed class ArchiveSettings
{
    public const string Section = "Gateway:Archive";

    public const int DefaultRetentionYears = 15;

    /// <summary><c>Gateway:Archive:Folder</c>: default <c>BANKGATEWAY_HOME/archive</c>.</summary>
    public required string Folder { get; init; }

    /// <summary><c>Gateway:Archive:RetentionYears</c>: a month's copies are purged once this many years have passed since it ended.</summary>
    public int RetentionYears { get; init; } = DefaultRetentionYears;

    public static ArchiveSettings From(IConfiguration? configuration)
    {
        var section = configuration?.GetSection(Section);
        string? folder = section?["Folder"];
        string? years = section?["RetentionYears"];
        int retention = DefaultRetentionYears;
        if (!string.IsNullOrWhiteSpace(years) && (!int.TryParse(years, out retention) || retention is < 1 or > 100))
            throw new Hosting.SettingsException($"{Section}:RetentionYears", $"'{years}' is not a whole number of years between 1 and 100");
        return new ArchiveSettings
        {
            Folder = Path.GetFullPath(string.IsNullOrWhiteSpace(folder) ? Path.Combine(GatewayHome.Resolve().Root, "archive") : folder),
            RetentionYears = retention,
        };
    }
}
