using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// Inverted-dropout masks (seed deck 000, "Dropout") from a counter-based generator: element <c>i</c> of a layer is
/// kept iff <c>Hash(i, key) &gt;&gt; 8 &lt; Threshold(rate)</c>, i.e. with probability
/// <c>round((1 − rate)·2²⁴)/2²⁴</c>, and a kept value is multiplied by <c>scale</c> (normally <c>1/(1 − rate)</c>).
/// No state: any element, lane or thread computes its own decision, the backward pass recomputes the forward's mask
/// from the same key, and nothing is stored. <c>key</c> comes from <see cref="Key"/>(seed, step, layer), so every
/// step and layer gets a fresh mask and a run is reproducible.
/// </summary>
/// <remarks>
/// <c>Hash(c, k) = mix(mix(c ⊕ k·0x9E3779B9) ⊕ k)</c> with <c>mix</c> = lowbias32 (Wellons: xorshift 16, ×0x7FEB352D,
/// xorshift 15, ×0x846CA68B, xorshift 16), a bijection of 32-bit words with near-ideal avalanche. The second round
/// keeps masks of two keys from being an XOR-shifted copy of each other. Vector bodies use the same 32-bit integer
/// operations (wrapping multiply, logical shift, xor) lane by lane, so their decisions equal the scalar ones.
/// </remarks>
public static class DropoutMask
{
    private const uint Golden = 0x9E3779B9u, M1 = 0x7FEB352Du, M2 = 0x846CA68Bu;
    private const double OneIn24Bits = 16777216.0;

    /// <summary>lowbias32: <c>x ^= x &gt;&gt; 16; x *= 0x7FEB352D; x ^= x &gt;&gt; 15; x *= 0x846CA68B; x ^= x &gt;&gt; 16</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= M1;
        x ^= x >> 15;
        x *= M2;
        return x ^ (x >> 16);
    }

    /// <summary>The 32 random bits of element <paramref name="counter"/> under <paramref name="key"/>: <c>mix(mix(counter ⊕ key·0x9E3779B9) ⊕ key)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(uint counter, uint key) => Mix(Mix(counter ^ unchecked(key * Golden)) ^ key);

    /// <summary>
    /// The keep threshold on the top 24 bits of <see cref="Hash(uint, uint)"/>: <c>round((1 − rate)·2²⁴)</c>, from 2²⁴ (rate 0:
    /// everything kept) down to 0 (rate 1: nothing kept).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is NaN or outside [0, 1].</exception>
    public static uint Threshold(float rate)
    {
        if (!(rate >= 0f && rate <= 1f)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1].");
        return (uint)Math.Round((1.0 - rate) * OneIn24Bits, MidpointRounding.ToEven);
    }

    /// <summary>
    /// The 32-bit key of one layer at one training step: <paramref name="seed"/>, both halves of <paramref name="step"/>
    /// and <paramref name="layer"/> absorbed in turn, each followed by a full mix (distinct domain constants keep
    /// (seed, step, layer) permutations apart).
    /// </summary>
    public static uint Key(int seed, long step, int layer)
    {
        uint h = Mix((uint)seed ^ 0x243F6A88u);
        h = Mix(h ^ (uint)step ^ 0x85A308D3u);
        h = Mix(h ^ (uint)((ulong)step >> 32) ^ 0x13198A2Eu);
        return Mix(h ^ (uint)layer ^ 0x03707344u);
    }

    /// <summary>Whether element <paramref name="index"/> is kept: <c>Hash(index, key) &gt;&gt; 8 &lt; threshold</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Keep(int index, uint key, uint threshold) => Hash((uint)index, key) >> 8 < threshold;

    /// <summary>Inverted dropout of one element: <c>x·scale</c> if <see cref="Keep"/>, else 0 (also for a non-finite x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x, int index, uint key, uint threshold, float scale) => Keep(index, key, threshold) ? x * scale : 0f;

    /// <summary>
    /// <see cref="Apply(float, int, uint, uint, float)"/> per lane: lane l uses counter <c>index + l</c>, with the same
    /// keep decision as the scalar call for that index, bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Apply(Vector128<float> x, int index, uint key, uint threshold, float scale)
    {
        Vector128<uint> h = Hash(Vector128.Create((uint)index) + Vector128<uint>.Indices, key);
        // Both sides are below 2²⁴ + 1, so a signed compare is an unsigned one (and a single instruction without AVX-512).
        Vector128<int> keep = Vector128.LessThan(Vector128.ShiftRightLogical(h, 8).AsInt32(), Vector128.Create((int)threshold));
        return (x * Vector128.Create(scale)) & keep.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<uint> Hash(Vector128<uint> counter, uint key)
        => Mix(Mix(counter ^ Vector128.Create(unchecked(key * Golden))) ^ Vector128.Create(key));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Mix(Vector128<uint> x)
    {
        x ^= Vector128.ShiftRightLogical(x, 16);
        x *= Vector128.Create(M1);
        x ^= Vector128.ShiftRightLogical(x, 15);
        x *= Vector128.Create(M2);
        return x ^ Vector128.ShiftRightLogical(x, 16);
    }

    /// <summary>
    /// <see cref="Apply(float, int, uint, uint, float)"/> per lane: lane l uses counter <c>index + l</c>, with the same
    /// keep decision as the scalar call for that index, bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x, int index, uint key, uint threshold, float scale)
    {
        Vector256<uint> h = Hash(Vector256.Create((uint)index) + Vector256<uint>.Indices, key);
        // Both sides are below 2²⁴ + 1, so a signed compare is an unsigned one (and a single instruction without AVX-512).
        Vector256<int> keep = Vector256.LessThan(Vector256.ShiftRightLogical(h, 8).AsInt32(), Vector256.Create((int)threshold));
        return (x * Vector256.Create(scale)) & keep.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Hash(Vector256<uint> counter, uint key)
        => Mix(Mix(counter ^ Vector256.Create(unchecked(key * Golden))) ^ Vector256.Create(key));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Mix(Vector256<uint> x)
    {
        x ^= Vector256.ShiftRightLogical(x, 16);
        x *= Vector256.Create(M1);
        x ^= Vector256.ShiftRightLogical(x, 15);
        x *= Vector256.Create(M2);
        return x ^ Vector256.ShiftRightLogical(x, 16);
    }

    /// <summary>
    /// <see cref="Apply(float, int, uint, uint, float)"/> per lane: lane l uses counter <c>index + l</c>, with the same
    /// keep decision as the scalar call for that index, bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x, int index, uint key, uint threshold, float scale)
    {
        Vector512<uint> h = Hash(Vector512.Create((uint)index) + Vector512<uint>.Indices, key);
        // Both sides are below 2²⁴ + 1, so a signed compare is an unsigned one (and a single instruction without AVX-512).
        Vector512<int> keep = Vector512.LessThan(Vector512.ShiftRightLogical(h, 8).AsInt32(), Vector512.Create((int)threshold));
        return (x * Vector512.Create(scale)) & keep.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> Hash(Vector512<uint> counter, uint key)
        => Mix(Mix(counter ^ Vector512.Create(unchecked(key * Golden))) ^ Vector512.Create(key));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Mix(Vector512<uint> x)
    {
        x ^= Vector512.ShiftRightLogical(x, 16);
        x *= Vector512.Create(M1);
        x ^= Vector512.ShiftRightLogical(x, 15);
        x *= Vector512.Create(M2);
        return x ^ Vector512.ShiftRightLogical(x, 16);
    }
}
