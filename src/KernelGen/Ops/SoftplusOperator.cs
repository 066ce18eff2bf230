using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// Softplus: <c>f(x) = ln(1 + eˣ)</c>, evaluated as <c>max(x, 0) + ln(1 + e^−|x|)</c> (no overflow, and
/// <c>ln(1 + t)</c> without cancellation, so f(−20) ≈ 2.1e-9 keeps its digits); <c>f′ = σ(x) = 1 − e^−y</c>,
/// taken as <c>−(e^−y − 1)</c> without cancellation for small y.
/// </summary>
public readonly struct SoftplusOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => MathF.Max(x, 0f) + SpecialMath.Log1P(MathF.Exp(-MathF.Abs(x)));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero) + SpecialMath.Log1P(SpecialMath.Exp(-Vector128.Abs(x)));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero) + SpecialMath.Log1P(SpecialMath.Exp(-Vector256.Abs(x)));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero) + SpecialMath.Log1P(SpecialMath.Exp(-Vector512.Abs(x)));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Derivative(float y) => -SpecialMath.ExpM1(-y);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Derivative(Vector128<float> y) => -SpecialMath.ExpM1(-y);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Derivative(Vector256<float> y) => -SpecialMath.ExpM1(-y);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Derivative(Vector512<float> y) => -SpecialMath.ExpM1(-y);
}
