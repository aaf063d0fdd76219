using BankGateway.Files.Signing;

namespace BankGateway.Worker.Intake;

/// <summary>R01: the finance bureau's SM2 signature over the exact bytes of the voucher. The .sig may
/// already sit in processed/ after an interrupted move, so its path is given, not derived.</summary>
internal static class FinanceSignature
{
    public static (bool Valid, string Message) Verify(string file, string sigPath, Sm2PublicKey key)
    {
        if (!SignatureFile.TryDecode(File.ReadAllText(sigPath), out var der))
            return (false, "not one line of base64 DER");
        using var data = File.OpenRead(file);
        return key.Verify(data, der)
            ? (true, "valid")
            : (false, "signature does not match the finance bureau's public key");
    }
}
