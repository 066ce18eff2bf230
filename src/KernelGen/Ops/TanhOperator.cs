using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// Hyperbolic tangent: <c>f(x) = tanh x</c>; <c>f′ = 1 − y²</c>.
/// Vector bodies: for |x| &lt; 0.625 the odd minimax polynomial <c>x + x³·P(x²)</c> (Cephes <c>tanhf</c>),
/// otherwise <c>sign(x)·(1 − e^−2|x|)/(1 + e^−2|x|)</c>, which saturates to ±1 without NaN.
/// </summary>
public readonly struct TanhOperator : IActivationOperator
{
    private const float Split = 0.625f;
    private const float P0 = -5.70498872745e-3f, P1 = 2.06390887954e-2f, P2 = -5.37397155531e-2f, P3 = 1.33314422036e-1f, P4 = -3.33332819422e-1f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => MathF.Tanh(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> ax = Vector128.Abs(x), z = x * x;
        Vector128<float> p = Vector128.Create(P0);
        p = p * z + Vector128.Create(P1); p = p * z + Vector128.Create(P2); p = p * z + Vector128.Create(P3); p = p * z + Vector128.Create(P4);
        Vector128<float> small = p * z * x + x;
        Vector128<float> t = SpecialMath.Exp(ax * Vector128.Create(-2f));
        Vector128<float> large = Vector128.CopySign((Vector128<float>.One - t) / (Vector128<float>.One + t), x);
        return Vector128.ConditionalSelect(Vector128.LessThan(ax, Vector128.Create(Split)), small, large);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> ax = Vector256.Abs(x), z = x * x;
        Vector256<float> p = Vector256.Create(P0);
        p = p * z + Vector256.Create(P1); p = p * z + Vector256.Create(P2); p = p * z + Vector256.Create(P3); p = p * z + Vector256.Create(P4);
        Vector256<float> small = p * z * x + x;
        Vector256<float> t = SpecialMath.Exp(ax * Vector256.Create(-2f));
        Vector256<float> large = Vector256.CopySign((Vector256<float>.One - t) / (Vector256<float>.One + t), x);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(Split)), small, large);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> ax = Vector512.Abs(x), z = x * x;
        Vector512<float> p = Vector512.Create(P0);
        p = p * z + Vector512.Create(P1); p = p * z + Vector512.Create(P2); p = p * z + Vector512.Create(P3); p = p * z + Vector512.Create(P4);
        Vector512<float> small = p * z * x + x;
        Vector512<float> t = SpecialMath.Exp(ax * Vector512.Create(-2f));
        Vector512<float> large = Vector512.CopySign((Vector512<float>.One - t) / (Vector512<float>.One + t), x);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(Split)), small, large);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Derivative(float y) => 1f - y * y;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Derivative(Vector128<float> y) => Vector128<float>.One - y * y;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Derivative(Vector256<float> y) => Vector256<float>.One - y * y;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Derivative(Vector512<float> y) => Vector512<float>.One - y * y;
}
