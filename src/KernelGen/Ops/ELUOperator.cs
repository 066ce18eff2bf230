using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// ELU (seed deck 000): <c>f(x) = x</c> for x &gt; 0, <c>α(eˣ − 1)</c> otherwise; <c>f′ = 1</c> for y &gt; 0, else
/// <c>α·eˣ = y + α</c>. <c>eˣ − 1</c> is taken without cancellation near 0 and on <c>min(x, 0)</c>, so a large
/// positive x never produces an ∞ (or a NaN) in the unselected branch.
/// </summary>
public readonly struct ELUOperator
{
    /// <summary><c>x &gt; 0 ? x : α(eˣ − 1)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float alpha) => x > 0f ? x : alpha * SpecialMath.ExpM1(x);
    /// <summary><c>x &gt; 0 ? x : α(e^min(x,0) − 1)</c> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> alpha)
        => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, alpha * SpecialMath.ExpM1(Vector128.Min(x, Vector128<float>.Zero)));
    /// <summary><c>x &gt; 0 ? x : α(e^min(x,0) − 1)</c> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> alpha)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, alpha * SpecialMath.ExpM1(Vector256.Min(x, Vector256<float>.Zero)));
    /// <summary><c>x &gt; 0 ? x : α(e^min(x,0) − 1)</c> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> alpha)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, alpha * SpecialMath.ExpM1(Vector512.Min(x, Vector512<float>.Zero)));

    /// <summary><c>f′</c> from the output: <c>y &gt; 0 ? 1 : y + α</c> (α &gt; 0, so y &gt; 0 ⇔ x &gt; 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Derivative(float y, float alpha) => y > 0f ? 1f : y + alpha;
    /// <summary><c>f′</c> from the output per lane: <c>y &gt; 0 ? 1 : y + α</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Vector128<float> y, Vector128<float> alpha) => Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), Vector128<float>.One, y + alpha);
    /// <summary><c>f′</c> from the output per lane: <c>y &gt; 0 ? 1 : y + α</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> y, Vector256<float> alpha) => Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), Vector256<float>.One, y + alpha);
    /// <summary><c>f′</c> from the output per lane: <c>y &gt; 0 ? 1 : y + α</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> y, Vector512<float> alpha) => Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), Vector512<float>.One, y + alpha);
}
