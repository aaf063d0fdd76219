using Org.BouncyCastle.Asn1;

namespace BankGateway.Files.Signing;

/// <summary>Shape checks and text form of a DER SM2 signature <c>SEQUENCE { r INTEGER, s INTEGER }</c>.</summary>
internal static class Sm2Signature
{
    // An SM2 DER signature is at most 72 bytes; a .sig far bigger than its base64 is not one.
    internal const int MaxSigFileBytes = 4096;

    /// <summary>True when <paramref name="der"/> is exactly a DER SEQUENCE of two positive INTEGERs, nothing more.</summary>
    internal static bool IsWellFormedDer(ReadOnlySpan<byte> der)
    {
        if (der.IsEmpty || der.Length > 128)
            return false;
        try
        {
            byte[] bytes = der.ToArray();
            if (Asn1Object.FromByteArray(bytes) is not Asn1Sequence { Count: 2 } seq
                || seq[0] is not DerInteger r || seq[1] is not DerInteger s
                || r.Value.SignValue <= 0 || s.Value.SignValue <= 0)
                return false;
            // Re-encoding must give the same bytes: rejects BER lengths, padded integers and trailing data.
            return seq.GetDerEncoded().AsSpan().SequenceEqual(bytes);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }
}
