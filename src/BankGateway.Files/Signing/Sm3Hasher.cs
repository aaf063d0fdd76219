using System.Buffers.Binary;

namespace BankGateway.Files.Signing;

/// <summary>
/// Incremental SM3 (GB/T 32905-2016): <see cref="Append"/> any number of chunks, then
/// <see cref="FinishHex"/> or <see cref="Finish"/>. Not thread-safe. After finishing, the
/// hasher is reset and can be reused.
/// </summary>
public sealed class Sm3Hasher
{
    /// <summary>Digest length in bytes.</summary>
    public const int HashSizeInBytes = 32;

    private const int BlockSize = 64;
    private readonly uint[] _state = new uint[8];
    private readonly byte[] _pending = new byte[BlockSize];
    private int _pendingLength;
    private ulong _totalBytes;

    /// <summary>Creates a hasher at the initial state.</summary>
    public Sm3Hasher() => Reset();

    /// <summary>Discards everything appended so far.</summary>
    public void Reset()
    {
        Sm3Compression.InitialState.CopyTo(_state);
        _pendingLength = 0;
        _totalBytes = 0;
    }

    /// <summary>Feeds <paramref name="data"/> into the hash.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _totalBytes += (ulong)data.Length;

        if (_pendingLength > 0)
        {
            int take = Math.Min(BlockSize - _pendingLength, data.Length);
            data[..take].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += take;
            data = data[take..];
            if (_pendingLength < BlockSize)
                return;
            Sm3Compression.CompressBlocks(_state, _pending);
            _pendingLength = 0;
        }

        // Whole blocks straight from the caller's buffer: one call for a 1 MiB chunk.
        int whole = data.Length & ~(BlockSize - 1);
        if (whole > 0)
        {
            Sm3Compression.CompressBlocks(_state, data[..whole]);
            data = data[whole..];
        }

        data.CopyTo(_pending);
        _pendingLength = data.Length;
    }

    /// <summary>Writes the 32-byte digest to <paramref name="destination"/> and resets.</summary>
    public void Finish(Span<byte> destination)
    {
        if (destination.Length < HashSizeInBytes)
            throw new ArgumentException($"Destination needs {HashSizeInBytes} bytes.", nameof(destination));

        // Padding: 0x80, zeros to 56 mod 64, then the bit length as big-endian 64-bit.
        Span<byte> tail = stackalloc byte[2 * BlockSize];
        tail.Clear();
        _pending.AsSpan(0, _pendingLength).CopyTo(tail);
        tail[_pendingLength] = 0x80;
        int tailLength = _pendingLength < 56 ? BlockSize : 2 * BlockSize;
        BinaryPrimitives.WriteUInt64BigEndian(tail.Slice(tailLength - 8), _totalBytes * 8);
        Sm3Compression.CompressBlocks(_state, tail[..tailLength]);

        for (int i = 0; i < 8; i++)
            BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(i * 4), _state[i]);
        Reset();
    }

    /// <summary>Returns the digest as 64 lowercase hex characters and resets.</summary>
    public string FinishHex()
    {
        Span<byte> digest = stackalloc byte[HashSizeInBytes];
        Finish(digest);
        return Convert.ToHexStringLower(digest);
    }
}
