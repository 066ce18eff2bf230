using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Runtime;

/// <summary>Reductions for the weight-decay penalty and gradient clipping: float vector partial sums over
/// chunks of 4096, added up in double (no package dependency; about 1e-7 relative error per chunk).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Penalties
{
    private const int Chunk = 4096;

    /// <summary>Σ v².</summary>
    public static double SumOfSquares(ReadOnlySpan<float> values) => Sum(values, squares: true);

    /// <summary>Σ |v|.</summary>
    public static double SumOfMagnitudes(ReadOnlySpan<float> values) => Sum(values, squares: false);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Sum(ReadOnlySpan<float> values, bool squares)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        double total = 0;
        for (int start = 0; start < values.Length; start += Chunk)
        {
            int end = Math.Min(values.Length, start + Chunk);
            int i = start;
            Vector256<float> a0 = Vector256<float>.Zero, a1 = Vector256<float>.Zero;
            for (; i <= end - 16; i += 16)
            {
                Vector256<float> x0 = Vector256.LoadUnsafe(ref v, (nuint)i), x1 = Vector256.LoadUnsafe(ref v, (nuint)(i + 8));
                if (squares)
                {
                    a0 = Vector256.MultiplyAddEstimate(x0, x0, a0);
                    a1 = Vector256.MultiplyAddEstimate(x1, x1, a1);
                }
                else
                {
                    a0 += Vector256.Abs(x0);
                    a1 += Vector256.Abs(x1);
                }
            }
            float s = Vector256.Sum(a0 + a1);
            for (; i < end; i++)
            {
                float x = Unsafe.Add(ref v, i);
                s += squares ? x * x : MathF.Abs(x);
            }
            total += s;
        }
        return total;
    }
}
