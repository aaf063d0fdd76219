using System.Buffers;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace BankGateway.Files.Signing;

/// <summary>
/// An SM2 public key (SubjectPublicKeyInfo PEM, curve SM2 1.2.156.10197.1.301) that verifies
/// SM2/SM3 signatures with signer ID 1234567812345678 (contract §6).
/// </summary>
public sealed class Sm2PublicKey
{
    internal Sm2PublicKey(ECPublicKeyParameters parameters) => Parameters = parameters;

    /// <summary>The BouncyCastle key, always on <see cref="Sm2Curve.Domain"/>.</summary>
    internal ECPublicKeyParameters Parameters { get; }

    /// <summary>Parses a "PUBLIC KEY" PEM block.</summary>
    /// <exception cref="KeyFileException">Not PEM, not a public key, or not on the SM2 curve.</exception>
    public static Sm2PublicKey FromPem(string pem) => Parse(pem, Sm2Pem.InlineSource);

    /// <summary>Loads a public key file (SubjectPublicKeyInfo PEM).</summary>
    /// <exception cref="KeyFileException">Missing, unreadable, not PEM, or not an SM2 key; the message names the file.</exception>
    public static Sm2PublicKey Load(string path) => Parse(Sm2Pem.ReadKeyFile(path), path);

    /// <summary>True when <paramref name="derSignature"/> is a valid signature of <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> derSignature)
    {
        var signer = Sm2Curve.CreateSigner(forSigning: false, Parameters);
        signer.BlockUpdate(data);
        return VerifyDer(signer, derSignature);
    }

    /// <summary>True when <paramref name="derSignature"/> is a valid signature of the rest of <paramref name="data"/>, read in 1 MiB chunks.</summary>
    public bool Verify(Stream data, ReadOnlySpan<byte> derSignature)
    {
        var signer = Sm2Curve.CreateSigner(forSigning: false, Parameters);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Sm3.FileBufferSize);
        try
        {
            int read;
            while ((read = data.Read(buffer, 0, Sm3.FileBufferSize)) > 0)
                signer.BlockUpdate(buffer.AsSpan(0, read));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return VerifyDer(signer, derSignature);
    }

    /// <summary>The key as a "PUBLIC KEY" (SubjectPublicKeyInfo, named curve SM2) PEM block.</summary>
    public string ToPem() =>
        Sm2Pem.Write("PUBLIC KEY", SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(Parameters).GetDerEncoded());

    private static bool VerifyDer(Org.BouncyCastle.Crypto.Signers.SM2Signer signer, ReadOnlySpan<byte> derSignature)
    {
        // BouncyCastle decodes strictly (re-encodes and compares), so BER or trailing bytes fail; garbage must be "false", never an exception.
        if (!Sm2Signature.IsWellFormedDer(derSignature))
            return false;
        try
        {
            return signer.VerifySignature(derSignature.ToArray());
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    internal static Sm2PublicKey Parse(string pem, string source)
    {
        foreach (var obj in Sm2Pem.ReadAll(pem, source))
        {
            if (obj.Type != "PUBLIC KEY")
                continue;
            SubjectPublicKeyInfo info;
            try
            {
                info = SubjectPublicKeyInfo.GetInstance(obj.Content);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
            {
                throw new KeyFileException($"{Sm2Pem.Describe(source)} holds a damaged PUBLIC KEY block: {ex.Message}", ex);
            }
            var algorithm = Sm2Pem.RequireSm2Algorithm(info.Algorithm, source);
            ECPublicKeyParameters key;
            try
            {
                key = (ECPublicKeyParameters)PublicKeyFactory.CreateKey(new SubjectPublicKeyInfo(algorithm, info.PublicKey));
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or InvalidCastException or SecurityUtilityException)
            {
                throw new KeyFileException($"{Sm2Pem.Describe(source)} holds an invalid SM2 public key: {ex.Message}", ex);
            }
            if (!Sm2Curve.IsSm2(key.Parameters))
                throw Sm2Pem.NotSm2Curve(source);
            return FromPoint(key.Q.GetEncoded(false));
        }
        throw new KeyFileException($"{Sm2Pem.Describe(source)} has no '-----BEGIN PUBLIC KEY-----' block (expected an SM2 SubjectPublicKeyInfo).");
    }

    /// <summary>Builds a key from an encoded point; re-decoding on our domain keeps the named-curve OID for ToPem.</summary>
    internal static Sm2PublicKey FromPoint(byte[] encodedPoint) =>
        new(new ECPublicKeyParameters("EC", Sm2Curve.Domain.Curve.DecodePoint(encodedPoint), Sm2Curve.Domain));
}
