using Org.BouncyCastle.Crypto.Signers;

namespace BankGateway.Files.Signing;

/// <summary>
/// An SM2/SM3 signature made while the bytes go by (see <see cref="Sm2PrivateKey.BeginSigning"/>): a file can be
/// written, hashed and signed in one pass instead of being read back twice.
/// </summary>
public sealed class Sm2Signing
{
    private readonly SM2Signer _signer;

    internal Sm2Signing(SM2Signer signer) => _signer = signer;

    /// <summary>The next bytes of the signed data.</summary>
    public void Append(ReadOnlySpan<byte> data) => _signer.BlockUpdate(data);

    /// <summary>DER <c>SEQUENCE { r, s }</c> over everything appended; the same as <see cref="Sm2PrivateKey.Sign(ReadOnlySpan{byte})"/> of it.</summary>
    public byte[] Finish() => _signer.GenerateSignature();
}
