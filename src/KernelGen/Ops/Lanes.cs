using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// Horizontal sums for the generated dot-product kernels. <c>Vector512.Sum</c> in .NET 10 reduces each
/// 256-bit half separately through two 128-bit sums (about 26 instructions on x64); folding halves first
/// (512 → 256 → 128, then two in-register shuffles) takes 8. The forward kernels reduce every accumulator
/// once per tile, so this is up to a third of a short-k kernel's time.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Lanes
{
    /// <summary>Sum of the 16 lanes (pairwise by halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Sum(v.GetLower() + v.GetUpper());

    /// <summary>Sum of the 8 lanes (pairwise by halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => Sum(v.GetLower() + v.GetUpper());

    /// <summary>Sum of the 4 lanes: (v0 + v2) + (v1 + v3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> v)
    {
        v += Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1));
        v += Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2));
        return v.ToScalar();
    }

    /// <summary>
    /// Floats from <paramref name="x"/> to the first address that is a multiple of <paramref name="lanes"/> floats (0 when
    /// <paramref name="x"/> is already there): where the dW kernels start their blocks of k so that their vector loads of a
    /// caller's array (aligned to 8 or 16 bytes only) do not straddle two cache lines — measured on Intel Xeon (Emerald Rapids),
    /// at 128 rows they made the first layer's dW kernel 5–7 % slower (a block of x spans one more line per row and no longer
    /// fits L1). A hint only: any value in [0, lanes) gives the same result, so an array the GC moves meanwhile costs speed,
    /// never correctness.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe nint Lead(ref float x, int lanes)
    {
        nuint floats = (nuint)Unsafe.AsPointer(ref x) / sizeof(float);
        return (nint)(((nuint)lanes - floats % (nuint)lanes) % (nuint)lanes);
    }

    /// <summary>sign(v): 1, −1, or 0 for ±0 (and NaN), the subgradient L1 decay uses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sign(float v) => v > 0f ? 1f : v < 0f ? -1f : 0f;

    /// <summary>Lane-wise sign: 1, −1, or 0 for ±0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sign(Vector128<float> v)
        => (Vector128.GreaterThan(v, Vector128<float>.Zero) & Vector128<float>.One) - (Vector128.LessThan(v, Vector128<float>.Zero) & Vector128<float>.One);

    /// <summary>Lane-wise sign: 1, −1, or 0 for ±0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sign(Vector256<float> v)
        => (Vector256.GreaterThan(v, Vector256<float>.Zero) & Vector256<float>.One) - (Vector256.LessThan(v, Vector256<float>.Zero) & Vector256<float>.One);

    /// <summary>Lane-wise sign: 1, −1, or 0 for ±0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sign(Vector512<float> v)
        => (Vector512.GreaterThan(v, Vector512<float>.Zero) & Vector512<float>.One) - (Vector512.LessThan(v, Vector512<float>.Zero) & Vector512<float>.One);
}
