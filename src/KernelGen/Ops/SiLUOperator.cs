using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// SiLU (swish): <c>f(x) = x·σ(x) = x/(1 + e^−x)</c>; <c>f′(x) = s(1 + x(1 − s))</c>, <c>s = σ(x)</c>, taken at the
/// input (f is not monotonic). With <c>e = e^−|x|</c> and <c>r = 1/(1 + e)</c>: <c>σ(x) = r</c> and
/// <c>1 − σ(x) = e·r</c> for x ≥ 0, the other way round for x &lt; 0, so neither cancels and e never overflows:
/// no NaN or ∞ for any finite x.
/// </summary>
public readonly struct SiLUOperator : IInputDerivativeOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x)
    {
        float e = MathF.Exp(-MathF.Abs(x)), r = 1f / (1f + e);
        return x * (x >= 0f ? r : e * r);
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> e = SpecialMath.Exp(-Vector128.Abs(x)), r = Vector128<float>.One / (Vector128<float>.One + e);
        return x * Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), r, e * r);
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> e = SpecialMath.Exp(-Vector256.Abs(x)), r = Vector256<float>.One / (Vector256<float>.One + e);
        return x * Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), r, e * r);
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> e = SpecialMath.Exp(-Vector512.Abs(x)), r = Vector512<float>.One / (Vector512<float>.One + e);
        return x * Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), r, e * r);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float DerivativeAt(float x) { Invoke(x, out float d); return d; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> DerivativeAt(Vector128<float> x) { Invoke(x, out Vector128<float> d); return d; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> DerivativeAt(Vector256<float> x) { Invoke(x, out Vector256<float> d); return d; }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> DerivativeAt(Vector512<float> x) { Invoke(x, out Vector512<float> d); return d; }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x, out float derivative)
    {
        float e = MathF.Exp(-MathF.Abs(x)), r = 1f / (1f + e), er = e * r;
        bool nonNegative = x >= 0f;
        float s = nonNegative ? r : er, c = nonNegative ? er : r;
        derivative = s * (1f + x * c);
        return x * s;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x, out Vector128<float> derivative)
    {
        Vector128<float> e = SpecialMath.Exp(-Vector128.Abs(x)), r = Vector128<float>.One / (Vector128<float>.One + e), er = e * r;
        Vector128<float> nonNegative = Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero);
        Vector128<float> s = Vector128.ConditionalSelect(nonNegative, r, er), c = Vector128.ConditionalSelect(nonNegative, er, r);
        derivative = s * (Vector128<float>.One + x * c);
        return x * s;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, out Vector256<float> derivative)
    {
        Vector256<float> e = SpecialMath.Exp(-Vector256.Abs(x)), r = Vector256<float>.One / (Vector256<float>.One + e), er = e * r;
        Vector256<float> nonNegative = Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero);
        Vector256<float> s = Vector256.ConditionalSelect(nonNegative, r, er), c = Vector256.ConditionalSelect(nonNegative, er, r);
        derivative = s * (Vector256<float>.One + x * c);
        return x * s;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, out Vector512<float> derivative)
    {
        Vector512<float> e = SpecialMath.Exp(-Vector512.Abs(x)), r = Vector512<float>.One / (Vector512<float>.One + e), er = e * r;
        Vector512<float> nonNegative = Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero);
        Vector512<float> s = Vector512.ConditionalSelect(nonNegative, r, er), c = Vector512.ConditionalSelect(nonNegative, er, r);
        derivative = s * (Vector512<float>.One + x * c);
        return x * s;
    }
}
