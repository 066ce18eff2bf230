using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// <c>eˣ</c> per lane in single precision, for every vector width: what the activations' exponentials (sigmoid, tanh, SiLU,
/// softplus, ELU, and e^(−z²) in GELU's Φ) use instead of <c>Vector512.Exp</c>, which .NET 10 computes by widening to double
/// (two double exponentials per vector), in a generic method that perf showed still quick-jitted in 12 % of GeluMlp's Predict
/// samples over a 6-second run. Cody–Waite reduction <c>x = n·ln 2 + r</c>, |r| ≤ ln 2 / 2, <c>eʳ</c> by the Cephes
/// <c>expf</c> minimax polynomial (1 + r + r²·P(r), P of degree 5, fused multiply-adds), then <c>2ⁿ</c> as two exponent-field
/// scalings (results down to the subnormals and up to the overflow without an intermediate overflow). x is clamped to
/// [−104, 89] first (e⁻¹⁰⁴ rounds to 0 and e⁸⁹ overflows to +∞, as they should); NaN gives NaN. Within 2 ulp of the correctly
/// rounded result for normal results, the same bits at every width (ExpTests).
/// Not inlined, and fully optimised from its first call (no tier-0 code: .NET's generic Exp was still quick-jitted after
/// KernelGen.Peers' quick mode's warm-up, and so was this method until it said so — GeluMlp Predict of 128 rows 518 µs against
/// 343 µs in BenchmarkDotNet). Inlined into the dense kernels' activation loops it made GeluMlp's Predict ≈ 10 % slower (the
/// kernel's register allocation, not the function). Per element it is as fast as .NET's or a few per cent faster; the gain in
/// the kernels is mostly that it never runs tier-0 code (docs/benchmarks.md, eighth session). <c>ExpInline</c> is the same
/// body for callers that are themselves calls (GELU's vector forms, which the kernels call: GeluOperator).
/// </summary>
internal static partial class SpecialMath
{
    private const float ExpHi = 89f, ExpLo = -104f, Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float X0 = 1.9875691500e-4f, X1 = 1.3981999507e-3f, X2 = 8.3334519073e-3f, X3 = 4.1665795894e-2f, X4 = 1.6666665459e-1f, X5 = 5.0000001201e-1f;

    /// <summary><c>eˣ</c> per lane (see the class).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector128<float> Exp(Vector128<float> x) => ExpInline(x);

    /// <summary><see cref="Exp(Vector128{float})"/>'s body, inlined where its caller has the registers (GELU's Φ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> ExpInline(Vector128<float> x)
    {
        Vector128<float> c = Vector128.MinNative(Vector128.MaxNative(x, Vector128.Create(ExpLo)), Vector128.Create(ExpHi)); // NaN lanes: replaced at the end
        Vector128<float> fn = Vector128.Floor(c * Vector128.Create(Log2E) + Vector128.Create(0.5f));
        Vector128<float> r = c - fn * Vector128.Create(Ln2Hi);
        r = r - fn * Vector128.Create(Ln2Lo);
        Vector128<float> p = Vector128.Create(X0);
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(X1)); p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(X2)); p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(X3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(X4)); p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(X5));
        Vector128<float> e = Vector128.FusedMultiplyAdd(p, r * r, r) + Vector128<float>.One; // the 1 last, as Cephes
        Vector128<int> n = Vector128.ConvertToInt32Native(fn), n1 = Vector128.ShiftRightArithmetic(n, 1), n2 = n - n1;
        Vector128<float> s1 = Vector128.ShiftLeft(n1 + Vector128.Create(127), 23).AsSingle(), s2 = Vector128.ShiftLeft(n2 + Vector128.Create(127), 23).AsSingle();
        return Vector128.ConditionalSelect(Vector128.Equals(x, x), e * s1 * s2, x);
    }

    /// <summary><c>eˣ</c> per lane (see the class).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector256<float> Exp(Vector256<float> x) => ExpInline(x);

    /// <summary><see cref="Exp(Vector256{float})"/>'s body, inlined where its caller has the registers (GELU's Φ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpInline(Vector256<float> x)
    {
        Vector256<float> c = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(ExpLo)), Vector256.Create(ExpHi)); // NaN lanes: replaced at the end
        Vector256<float> fn = Vector256.Floor(c * Vector256.Create(Log2E) + Vector256.Create(0.5f));
        Vector256<float> r = c - fn * Vector256.Create(Ln2Hi);
        r = r - fn * Vector256.Create(Ln2Lo);
        Vector256<float> p = Vector256.Create(X0);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(X1)); p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(X2)); p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(X3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(X4)); p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(X5));
        Vector256<float> e = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One; // the 1 last, as Cephes
        Vector256<int> n = Vector256.ConvertToInt32Native(fn), n1 = Vector256.ShiftRightArithmetic(n, 1), n2 = n - n1;
        Vector256<float> s1 = Vector256.ShiftLeft(n1 + Vector256.Create(127), 23).AsSingle(), s2 = Vector256.ShiftLeft(n2 + Vector256.Create(127), 23).AsSingle();
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), e * s1 * s2, x);
    }

    /// <summary><c>eˣ</c> per lane (see the class).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static Vector512<float> Exp(Vector512<float> x) => ExpInline(x);

    /// <summary><see cref="Exp(Vector512{float})"/>'s body, inlined where its caller has the registers (GELU's Φ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpInline(Vector512<float> x)
    {
        Vector512<float> c = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(ExpLo)), Vector512.Create(ExpHi)); // NaN lanes: replaced at the end
        Vector512<float> fn = Vector512.Floor(c * Vector512.Create(Log2E) + Vector512.Create(0.5f));
        Vector512<float> r = c - fn * Vector512.Create(Ln2Hi);
        r = r - fn * Vector512.Create(Ln2Lo);
        Vector512<float> p = Vector512.Create(X0);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(X1)); p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(X2)); p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(X3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(X4)); p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(X5));
        Vector512<float> e = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One; // the 1 last, as Cephes
        Vector512<int> n = Vector512.ConvertToInt32Native(fn), n1 = Vector512.ShiftRightArithmetic(n, 1), n2 = n - n1;
        Vector512<float> s1 = Vector512.ShiftLeft(n1 + Vector512.Create(127), 23).AsSingle(), s2 = Vector512.ShiftLeft(n2 + Vector512.Create(127), 23).AsSingle();
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), e * s1 * s2, x);
    }
}
