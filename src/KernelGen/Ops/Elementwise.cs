using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// Element-wise maps of an activation operator over a span, for runtime use (the generated kernels fuse the same
/// operators into their own loops). Widest accelerated vector first (512, 256, 128 bits, then scalar); when the span
/// holds at least one vector, the last vector is taken overlapping the previous one instead of a scalar tail.
/// <c>x</c> and <c>y</c> may be the same span (in place) but must not otherwise overlap. No allocation.
/// </summary>
public static class Elementwise
{
    /// <summary><c>y[i] = TOp.Invoke(x[i])</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is not as long as <paramref name="x"/>, or overlaps it without being the same span.</exception>
    public static void Map<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IActivationOperator
        => Run<Forward<TOp>>(x, y);

    /// <summary><c>y[i] = TOp.Invoke(x[i])</c> for an operator whose derivative is taken at the input (GELU, SiLU).</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is not as long as <paramref name="x"/>, or overlaps it without being the same span.</exception>
    public static void MapAt<TOp>(ReadOnlySpan<float> x, Span<float> y) where TOp : IInputDerivativeOperator
        => Run<ForwardAt<TOp>>(x, y);

    /// <summary>One function at every width; a struct, so each instantiation of <c>Run</c> is specialised and inlined.</summary>
    private interface IMap
    {
        static abstract float F(float x);
        static abstract Vector128<float> F(Vector128<float> x);
        static abstract Vector256<float> F(Vector256<float> x);
        static abstract Vector512<float> F(Vector512<float> x);
    }

    private readonly struct Forward<TOp> : IMap where TOp : IActivationOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F(float x) => TOp.Invoke(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> F(Vector128<float> x) => TOp.Invoke(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> F(Vector256<float> x) => TOp.Invoke(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> F(Vector512<float> x) => TOp.Invoke(x);
    }

    private readonly struct ForwardAt<TOp> : IMap where TOp : IInputDerivativeOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float F(float x) => TOp.Invoke(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> F(Vector128<float> x) => TOp.Invoke(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> F(Vector256<float> x) => TOp.Invoke(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> F(Vector512<float> x) => TOp.Invoke(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TMap>(ReadOnlySpan<float> x, Span<float> y) where TMap : IMap
    {
        if (x.Length != y.Length)
            throw new ArgumentException($"y has {y.Length} elements but x has {x.Length}: they must be equal.", nameof(y));
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException("y overlaps x without being the same span.", nameof(y));

        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length;

        // Each block computes its overlapping last vector before the loop stores anything, so an in-place map
        // (y == x) never reads a value it has already transformed.
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<float>.Count)
        {
            nuint lanes = (nuint)Vector512<float>.Count, last = n - lanes;
            Vector512<float> tail = TMap.F(Vector512.LoadUnsafe(ref xs, last));
            for (nuint i = 0; i < last; i += lanes) TMap.F(Vector512.LoadUnsafe(ref xs, i)).StoreUnsafe(ref ys, i);
            tail.StoreUnsafe(ref ys, last);
            return;
        }
        if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
        {
            nuint lanes = (nuint)Vector256<float>.Count, last = n - lanes;
            Vector256<float> tail = TMap.F(Vector256.LoadUnsafe(ref xs, last));
            for (nuint i = 0; i < last; i += lanes) TMap.F(Vector256.LoadUnsafe(ref xs, i)).StoreUnsafe(ref ys, i);
            tail.StoreUnsafe(ref ys, last);
            return;
        }
        if (Vector128.IsHardwareAccelerated && n >= (nuint)Vector128<float>.Count)
        {
            nuint lanes = (nuint)Vector128<float>.Count, last = n - lanes;
            Vector128<float> tail = TMap.F(Vector128.LoadUnsafe(ref xs, last));
            for (nuint i = 0; i < last; i += lanes) TMap.F(Vector128.LoadUnsafe(ref xs, i)).StoreUnsafe(ref ys, i);
            tail.StoreUnsafe(ref ys, last);
            return;
        }
        for (nuint i = 0; i < n; i++) Unsafe.Add(ref ys, i) = TMap.F(Unsafe.Add(ref xs, i));
    }
}
