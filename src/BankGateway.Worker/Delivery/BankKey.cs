using BankGateway.Files.Signing;

namespace BankGateway.Worker.Delivery;

/// <summary>The bank's SM2 private key that signs every outbound file.</summary>
internal sealed class BankKey(Sm2PrivateKey key)
{
    public Sm2PrivateKey Key { get; } = key;
}
