using BankGateway.Files.Formats;
using BankGateway.Files.Signing;
using BankGateway.Worker.Database;
using BankGateway.Worker.Hosting;

namespace BankGateway.Worker.Cli;

/// <summary>Turns the failures an operator can act on into one sentence; anything else stays a bug with its stack trace.</summary>
internal static class OperationalFailure
{
    public static string? Describe(Exception e) => e switch
    {
        KeyFileException or EmbeddedPostgresException or MigrationException or SettingsException or FileFormatException => e.Message,
        FileNotFoundException f => $"file not found: {f.FileName ?? f.Message}",
        DirectoryNotFoundException or UnauthorizedAccessException or IOException => e.Message,
        Npgsql.NpgsqlException n => $"database: {n.Message}",
        OperationCanceledException => "cancelled",
        _ => null,
    };
}
