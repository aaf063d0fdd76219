using BankGateway.Files.Signing;
using Microsoft.Extensions.Configuration;

namespace BankGateway.Worker.Cli;

/// <summary>The finance bureau's public key for a set: --finance-pub for all, else the configured channel's FinancePublicKeyFile.</summary>
internal sealed class FinanceKeys
{
    private readonly Sm2PublicKey? _override;
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Sm2PublicKey> _loaded = new(StringComparer.Ordinal);

    private FinanceKeys(Sm2PublicKey? overrideKey) => _override = overrideKey;

    public static FinanceKeys Create(IConfiguration configuration, string? overridePath)
    {
        var keys = new FinanceKeys(overridePath is null ? null : Sm2PublicKey.Load(overridePath));
        foreach (var channel in configuration.GetSection("Gateway:Channels").GetChildren())
        {
            var adm = channel["AdmDivCode"];
            var file = channel["FinancePublicKeyFile"];
            if (!string.IsNullOrWhiteSpace(adm) && !string.IsNullOrWhiteSpace(file)) keys._files[adm] = file;
        }
        return keys;
    }

    public Sm2PublicKey? For(string admDivCode)
    {
        if (_override is not null) return _override;
        if (_loaded.TryGetValue(admDivCode, out var key)) return key;
        if (!_files.TryGetValue(admDivCode, out var file)) return null;
        return _loaded[admDivCode] = Sm2PublicKey.Load(file);
    }
}
