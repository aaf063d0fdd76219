using Org.BouncyCastle.Crypto;

namespace BankGateway.Files.Signing;

/// <summary>
/// Plugs <see cref="Sm3Hasher"/> into BouncyCastle so <c>SM2Signer</c> hashes Z‖M with our
/// faster SM3 (signing/verifying a large file is dominated by the hash).
/// </summary>
internal sealed class FastSm3Digest : IDigest
{
    private readonly Sm3Hasher _hasher = new();

    public string AlgorithmName => "SM3";

    public int GetDigestSize() => Sm3Hasher.HashSizeInBytes;

    public int GetByteLength() => 64;

    public void Update(byte input) => _hasher.Append([input]);

    public void BlockUpdate(byte[] input, int inOff, int inLen) => _hasher.Append(input.AsSpan(inOff, inLen));

    public void BlockUpdate(ReadOnlySpan<byte> input) => _hasher.Append(input);

    public int DoFinal(byte[] output, int outOff) => DoFinal(output.AsSpan(outOff));

    public int DoFinal(Span<byte> output)
    {
        _hasher.Finish(output);
        return Sm3Hasher.HashSizeInBytes;
    }

    public void Reset() => _hasher.Reset();
}
