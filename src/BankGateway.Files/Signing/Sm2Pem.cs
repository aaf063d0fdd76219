using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Utilities.IO.Pem;
using BcPemReader = Org.BouncyCastle.Utilities.IO.Pem.PemReader;

namespace BankGateway.Files.Signing;

/// <summary>PEM reading/writing and the curve checks shared by the two key classes.</summary>
internal static class Sm2Pem
{
    /// <summary>How a key that did not come from a file is named in error messages.</summary>
    internal const string InlineSource = "(PEM text)";

    /// <summary>Describes the key's origin for messages: "Key file '/path'" or "Key (PEM text)".</summary>
    internal static string Describe(string source) =>
        source == InlineSource ? "Key " + InlineSource : $"Key file '{source}'";

    /// <summary>Every PEM block in <paramref name="pem"/>; BouncyCastle's reader also copes with OpenSSL's legacy headers.</summary>
    internal static List<PemObject> ReadAll(string pem, string source)
    {
        var objects = new List<PemObject>();
        try
        {
            using var reader = new BcPemReader(new StringReader(pem));
            while (reader.ReadPemObject() is { } obj)
                objects.Add(obj);
        }
        catch (Exception ex) when (ex is IOException or FormatException or ArgumentException)
        {
            throw new KeyFileException($"{Describe(source)} is not valid PEM: {ex.Message}", ex);
        }
        if (objects.Count == 0)
            throw new KeyFileException($"{Describe(source)} contains no PEM block (expected '-----BEGIN ...-----').");
        return objects;
    }

    /// <summary>Reads a key file's text, turning "not found" into an operator-facing <see cref="KeyFileException"/>.</summary>
    internal static string ReadKeyFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KeyFileException($"Key file '{path}' not found.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"Key file '{path}' cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Checks that the key's algorithm is EC on the SM2 curve, and returns the identifier
    /// normalised to id-ecPublicKey (some tools write the SM2 OID itself as the algorithm).
    /// Explicit curve parameters are passed through; the caller compares them to SM2.
    /// </summary>
    internal static AlgorithmIdentifier RequireSm2Algorithm(AlgorithmIdentifier algorithm, string source)
    {
        var oid = algorithm.Algorithm;
        if (oid.Equals(Sm2Curve.Oid))
            return new AlgorithmIdentifier(X9ObjectIdentifiers.IdECPublicKey, Sm2Curve.Oid);
        if (!oid.Equals(X9ObjectIdentifiers.IdECPublicKey))
            throw new KeyFileException($"{Describe(source)} is not an SM2 key: its algorithm is {oid.Id}, not EC with curve SM2 ({Sm2Curve.Oid.Id}).");
        if (algorithm.Parameters is DerObjectIdentifier curve && !curve.Equals(Sm2Curve.Oid))
            throw new KeyFileException($"{Describe(source)} is not an SM2 key: its curve is {CurveName(curve)}, not SM2 ({Sm2Curve.Oid.Id}).");
        return algorithm;
    }

    /// <summary>The message for a key with explicit curve parameters that are not SM2's.</summary>
    internal static KeyFileException NotSm2Curve(string source) =>
        new($"{Describe(source)} is not an SM2 key: its explicit curve parameters are not the SM2 curve ({Sm2Curve.Oid.Id}).");

    /// <summary>PEM text with LF line endings and a final newline, as OpenSSL writes it.</summary>
    internal static string Write(string label, byte[] der) => PemEncoding.WriteString(label, der) + "\n";

    private static string CurveName(DerObjectIdentifier oid) =>
        ECNamedCurveTable.GetName(oid) is { } name ? $"{name} ({oid.Id})" : oid.Id;
}
