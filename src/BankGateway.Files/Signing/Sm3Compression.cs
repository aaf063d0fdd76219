using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BankGateway.Files.Signing;

/// <summary>
/// The SM3 compression function (GB/T 32905-2016 §5.3), tuned for throughput: it processes
/// many 64-byte blocks per call, keeps the working variables in locals and unrolls the rounds
/// four at a time so the A..H "rotation" is a renaming, not eight moves per round.
/// </summary>
/// <remarks>
/// Why hand-written: hashing one 150 MB file in a fresh process (a CLI <c>verify</c>),
/// BouncyCastle's SM3Digest ran at ~190 MB/s, about 1.95x the time of <c>openssl dgst -sm3</c>
/// (~370 MB/s) — right at the 2x budget; this runs at ~245 MB/s (~1.5x). Cross-checked against
/// BouncyCastle and openssl in Sm3Tests.
/// </remarks>
internal static class Sm3Compression
{
    /// <summary>Initial hash value IV.</summary>
    internal static ReadOnlySpan<uint> InitialState =>
        [0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e];

    // T_j <<< (j mod 32), precomputed so each round adds a constant.
    private static readonly uint[] RoundConstants = CreateRoundConstants();

    private static uint[] CreateRoundConstants()
    {
        var t = new uint[64];
        for (int j = 0; j < 64; j++)
            t[j] = BitOperations.RotateLeft(j < 16 ? 0x79cc4519u : 0x7a879d8au, j % 32);
        return t;
    }

    /// <summary>Compresses every whole 64-byte block of <paramref name="blocks"/> into <paramref name="state"/>.</summary>
    /// <param name="state">The eight chaining words V(i); updated in place.</param>
    /// <param name="blocks">Input whose length is a multiple of 64 (a trailing partial block is ignored).</param>
    // AggressiveOptimization: skip tier-0 so a one-shot CLI hash of a big file runs optimised code from the start.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void CompressBlocks(Span<uint> state, ReadOnlySpan<byte> blocks)
    {
        if (state.Length < 8)
            throw new ArgumentException("SM3 state has 8 words.", nameof(state));

        Span<uint> wSpan = stackalloc uint[68];
        ref uint w = ref MemoryMarshal.GetReference(wSpan);
        ref uint t = ref MemoryMarshal.GetArrayDataReference(RoundConstants);
        ref uint v = ref MemoryMarshal.GetReference(state);

        while (blocks.Length >= 64)
        {
            // Message expansion; indices are all in range by construction, so skip bounds checks.
            ref byte src = ref MemoryMarshal.GetReference(blocks);
            for (int i = 0; i < 16; i++)
                Unsafe.Add(ref w, i) = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, i * 4)));
            for (int j = 16; j < 68; j++)
            {
                Unsafe.Add(ref w, j) =
                    P1(Unsafe.Add(ref w, j - 16) ^ Unsafe.Add(ref w, j - 9) ^ BitOperations.RotateLeft(Unsafe.Add(ref w, j - 3), 15))
                    ^ BitOperations.RotateLeft(Unsafe.Add(ref w, j - 13), 7)
                    ^ Unsafe.Add(ref w, j - 6);
            }

            uint a = v, b = Unsafe.Add(ref v, 1), c = Unsafe.Add(ref v, 2), d = Unsafe.Add(ref v, 3);
            uint e = Unsafe.Add(ref v, 4), f = Unsafe.Add(ref v, 5), g = Unsafe.Add(ref v, 6), h = Unsafe.Add(ref v, 7);

            for (int j = 0; j < 16; j += 4)
            {
                Round1(a, ref b, c, ref d, e, ref f, g, ref h, Unsafe.Add(ref t, j), ref Unsafe.Add(ref w, j));
                Round1(d, ref a, b, ref c, h, ref e, f, ref g, Unsafe.Add(ref t, j + 1), ref Unsafe.Add(ref w, j + 1));
                Round1(c, ref d, a, ref b, g, ref h, e, ref f, Unsafe.Add(ref t, j + 2), ref Unsafe.Add(ref w, j + 2));
                Round1(b, ref c, d, ref a, f, ref g, h, ref e, Unsafe.Add(ref t, j + 3), ref Unsafe.Add(ref w, j + 3));
            }
            for (int j = 16; j < 64; j += 4)
            {
                Round2(a, ref b, c, ref d, e, ref f, g, ref h, Unsafe.Add(ref t, j), ref Unsafe.Add(ref w, j));
                Round2(d, ref a, b, ref c, h, ref e, f, ref g, Unsafe.Add(ref t, j + 1), ref Unsafe.Add(ref w, j + 1));
                Round2(c, ref d, a, ref b, g, ref h, e, ref f, Unsafe.Add(ref t, j + 2), ref Unsafe.Add(ref w, j + 2));
                Round2(b, ref c, d, ref a, f, ref g, h, ref e, Unsafe.Add(ref t, j + 3), ref Unsafe.Add(ref w, j + 3));
            }

            v ^= a; Unsafe.Add(ref v, 1) ^= b; Unsafe.Add(ref v, 2) ^= c; Unsafe.Add(ref v, 3) ^= d;
            Unsafe.Add(ref v, 4) ^= e; Unsafe.Add(ref v, 5) ^= f; Unsafe.Add(ref v, 6) ^= g; Unsafe.Add(ref v, 7) ^= h;
            blocks = blocks[64..];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint P0(uint x) => x ^ BitOperations.RotateLeft(x, 9) ^ BitOperations.RotateLeft(x, 17);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint P1(uint x) => x ^ BitOperations.RotateLeft(x, 15) ^ BitOperations.RotateLeft(x, 23);

    // One round; instead of shifting A..H the caller renames them, so only B, D, F, H are written:
    // B <- B<<<9, D <- TT1 (next A), F <- F<<<19, H <- P0(TT2) (next E). wj points at W[j]; W'[j] = W[j] ^ W[j+4].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round1(uint a, ref uint b, uint c, ref uint d, uint e, ref uint f, uint g, ref uint h, uint tj, ref uint wj)
    {
        uint a12 = BitOperations.RotateLeft(a, 12);
        uint ss1 = BitOperations.RotateLeft(a12 + e + tj, 7);
        uint tt1 = (a ^ b ^ c) + d + (ss1 ^ a12) + (wj ^ Unsafe.Add(ref wj, 4));
        uint tt2 = (e ^ f ^ g) + h + ss1 + wj;
        b = BitOperations.RotateLeft(b, 9);
        d = tt1;
        f = BitOperations.RotateLeft(f, 19);
        h = P0(tt2);
    }

    // Rounds 16..63: FF = majority, GG = choose (written in their cheaper equivalent forms).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round2(uint a, ref uint b, uint c, ref uint d, uint e, ref uint f, uint g, ref uint h, uint tj, ref uint wj)
    {
        uint a12 = BitOperations.RotateLeft(a, 12);
        uint ss1 = BitOperations.RotateLeft(a12 + e + tj, 7);
        uint tt1 = ((a & b) | (c & (a | b))) + d + (ss1 ^ a12) + (wj ^ Unsafe.Add(ref wj, 4));
        uint tt2 = (g ^ (e & (f ^ g))) + h + ss1 + wj;
        b = BitOperations.RotateLeft(b, 9);
        d = tt1;
        f = BitOperations.RotateLeft(f, 19);
        h = P0(tt2);
    }
}
