using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.GM;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace BankGateway.Files.Signing;

/// <summary>The SM2 recommended curve (sm2p256v1) and the signer settings of contract §6.</summary>
internal static class Sm2Curve
{
    /// <summary>OID 1.2.156.10197.1.301 of the SM2 curve.</summary>
    internal static readonly DerObjectIdentifier Oid = GMObjectIdentifiers.sm2p256v1;

    /// <summary>Domain parameters that carry the OID, so encoders write the named curve (not explicit parameters).</summary>
    internal static readonly ECNamedDomainParameters Domain = ECNamedDomainParameters.LookupOid(Oid);

    /// <summary>The default signer ID of GM/T 0009, which OpenSSL calls <c>distid:1234567812345678</c>.</summary>
    internal static readonly byte[] SignerId = "1234567812345678"u8.ToArray();

    /// <summary>True when <paramref name="parameters"/> is the SM2 curve (named, or explicit but identical).</summary>
    internal static bool IsSm2(ECDomainParameters parameters) =>
        (parameters is ECNamedDomainParameters named && named.Name.Equals(Oid))
        || (parameters.Curve.Equals(Domain.Curve) && parameters.G.Equals(Domain.G) && parameters.N.Equals(Domain.N));

    /// <summary>A DER-encoding SM2 signer with SM3 (our fast digest) and the default signer ID.</summary>
    internal static SM2Signer CreateSigner(bool forSigning, AsymmetricKeyParameter key)
    {
        var signer = new SM2Signer(StandardDsaEncoding.Instance, new FastSm3Digest());
        ICipherParameters parameters = new ParametersWithID(key, SignerId);
        signer.Init(forSigning, parameters);
        return signer;
    }
}
