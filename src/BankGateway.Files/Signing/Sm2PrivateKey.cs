using System.Buffers;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC.Multiplier;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Utilities.IO.Pem;

namespace BankGateway.Files.Signing;

/// <summary>
/// An SM2 private key that makes DER SM2/SM3 signatures with signer ID 1234567812345678
/// (contract §6). Reads PKCS#8 ("PRIVATE KEY"), encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY")
/// and OpenSSL's SEC1 "EC PRIVATE KEY" (OpenSSL 3 writes it as "SM2 PRIVATE KEY"); writes PKCS#8.
/// </summary>
public sealed class Sm2PrivateKey
{
    /// <summary>Environment variable holding the passphrase of an encrypted PKCS#8 key.</summary>
    public const string PassphraseVariable = "BANKGATEWAY_KEY_PASSPHRASE";

    internal Sm2PrivateKey(BigInteger d)
    {
        Parameters = new ECPrivateKeyParameters("EC", d, Sm2Curve.Domain);
        var q = new FixedPointCombMultiplier().Multiply(Sm2Curve.Domain.G, d).Normalize();
        PublicKey = Sm2PublicKey.FromPoint(q.GetEncoded(false));
    }

    /// <summary>The matching public key.</summary>
    public Sm2PublicKey PublicKey { get; }

    internal ECPrivateKeyParameters Parameters { get; }

    /// <summary>
    /// Parses a private key PEM. For an encrypted PKCS#8 key the passphrase is
    /// <paramref name="passphrase"/>, or when null the environment variable <c>BANKGATEWAY_KEY_PASSPHRASE</c>.
    /// </summary>
    /// <exception cref="KeyFileException">Not PEM, not an SM2 private key, missing or wrong passphrase.</exception>
    public static Sm2PrivateKey FromPem(string pem, string? passphrase = null) => Parse(pem, Sm2Pem.InlineSource, passphrase);

    /// <summary>Loads a private key file; an encrypted one is opened with <c>BANKGATEWAY_KEY_PASSPHRASE</c>.</summary>
    /// <exception cref="KeyFileException">Missing, not an SM2 key, missing or wrong passphrase; the message names the file.</exception>
    public static Sm2PrivateKey Load(string path) => Parse(Sm2Pem.ReadKeyFile(path), path, passphrase: null);

    /// <summary>Signs <paramref name="data"/>; returns DER <c>SEQUENCE { r, s }</c>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var signer = Sm2Curve.CreateSigner(forSigning: true, Parameters);
        signer.BlockUpdate(data);
        return signer.GenerateSignature();
    }

    /// <summary>Starts a signature over bytes appended as they are produced.</summary>
    public Sm2Signing BeginSigning() => new(Sm2Curve.CreateSigner(forSigning: true, Parameters));

    /// <summary>Signs the rest of <paramref name="data"/>, read in 1 MiB chunks; returns DER <c>SEQUENCE { r, s }</c>.</summary>
    public byte[] Sign(Stream data)
    {
        var signer = Sm2Curve.CreateSigner(forSigning: true, Parameters);
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
        return signer.GenerateSignature();
    }

    /// <summary>The key as an unencrypted PKCS#8 "PRIVATE KEY" PEM block (named curve SM2, public key included).</summary>
    public string ToPkcs8Pem() =>
        Sm2Pem.Write("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(Parameters).GetDerEncoded());

    private static Sm2PrivateKey Parse(string pem, string source, string? passphrase)
    {
        foreach (var obj in Sm2Pem.ReadAll(pem, source))
        {
            PrivateKeyInfo? info = obj.Type switch
            {
                "PRIVATE KEY" => Decode(source, obj.Type, () => PrivateKeyInfo.GetInstance(obj.Content)),
                "ENCRYPTED PRIVATE KEY" => Decrypt(obj, source, passphrase),
                // SEC1: OpenSSL 1.1 labels it EC PRIVATE KEY; OpenSSL 3 labels an SM2 one SM2 PRIVATE KEY.
                "EC PRIVATE KEY" or "SM2 PRIVATE KEY" => FromSec1(obj, source),
                _ => null, // e.g. the "EC/SM2 PARAMETERS" block that `openssl ecparam -genkey` puts first
            };
            if (info is not null)
                return FromPrivateKeyInfo(info, source);
        }
        throw new KeyFileException(
            $"{Sm2Pem.Describe(source)} has no private key block (expected PRIVATE KEY, ENCRYPTED PRIVATE KEY or EC PRIVATE KEY).");
    }

    private static PrivateKeyInfo Decrypt(PemObject obj, string source, string? passphrase)
    {
        passphrase ??= Environment.GetEnvironmentVariable(PassphraseVariable);
        if (string.IsNullOrEmpty(passphrase))
            throw new KeyFileException(
                $"{Sm2Pem.Describe(source)} is an encrypted private key, but the environment variable {PassphraseVariable} is not set.");
        var encrypted = Decode(source, obj.Type, () => EncryptedPrivateKeyInfo.GetInstance(obj.Content));
        try
        {
            // A wrong passphrase shows up as bad padding or as garbage that is not ASN.1; both land here.
            var info = PrivateKeyInfoFactory.CreatePrivateKeyInfo(passphrase.ToCharArray(), encrypted);
            _ = info.PrivateKeyAlgorithm.Algorithm; // force a parse of the decrypted structure
            return info;
        }
        catch (Exception ex)
        {
            throw new KeyFileException(
                $"{Sm2Pem.Describe(source)} cannot be decrypted: wrong passphrase in {PassphraseVariable} (or an unsupported encryption scheme: {ex.Message}).", ex);
        }
    }

    private static PrivateKeyInfo FromSec1(PemObject obj, string source)
    {
        // Legacy OpenSSL encryption ("Proc-Type: 4,ENCRYPTED" headers) is MD5-based; we only take encrypted PKCS#8.
        if (obj.Headers.OfType<PemHeader>().Any(h => h.Name == "Proc-Type" && h.Value.Contains("ENCRYPTED")))
            throw new KeyFileException(
                $"{Sm2Pem.Describe(source)} is a legacy-encrypted {obj.Type}; convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc` (encrypted PKCS#8).");
        var sec1 = Decode(source, obj.Type, () => ECPrivateKeyStructure.GetInstance(obj.Content));
        var curve = sec1.Parameters
            ?? throw new KeyFileException($"{Sm2Pem.Describe(source)} is an {obj.Type} without curve parameters; cannot tell it is SM2.");
        return new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.IdECPublicKey, curve), sec1);
    }

    private static Sm2PrivateKey FromPrivateKeyInfo(PrivateKeyInfo info, string source)
    {
        var algorithm = Sm2Pem.RequireSm2Algorithm(info.PrivateKeyAlgorithm, source);
        ECPrivateKeyParameters key;
        try
        {
            key = (ECPrivateKeyParameters)PrivateKeyFactory.CreateKey(new PrivateKeyInfo(algorithm, info.ParsePrivateKey()));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or InvalidCastException or SecurityUtilityException)
        {
            throw new KeyFileException($"{Sm2Pem.Describe(source)} holds an invalid SM2 private key: {ex.Message}", ex);
        }
        if (!Sm2Curve.IsSm2(key.Parameters))
            throw Sm2Pem.NotSm2Curve(source);
        return new Sm2PrivateKey(key.D);
    }

    private static T Decode<T>(string source, string label, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or Asn1Exception)
        {
            throw new KeyFileException($"{Sm2Pem.Describe(source)} holds a damaged {label} block: {ex.Message}", ex);
        }
    }
}
