using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// Leaky ReLU and PReLU: <c>f(x) = x</c> for x &gt; 0, <c>α·x</c> otherwise; <c>f′ = 1</c> for x &gt; 0, else α
/// (α at x = 0, as PyTorch). α is a vector so the same code serves LeakyReLU's broadcast constant and PReLU's
/// per-unit α.
/// </summary>
public readonly struct LeakyReLUOperator
{
    /// <summary><c>x &gt; 0 ? x : α·x</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float alpha) => x > 0f ? x : alpha * x;
    /// <summary><c>x &gt; 0 ? x : α·x</c> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> alpha) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, alpha * x);
    /// <summary><c>x &gt; 0 ? x : α·x</c> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> alpha) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, alpha * x);
    /// <summary><c>x &gt; 0 ? x : α·x</c> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> alpha) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, alpha * x);

    /// <summary><c>f′</c> from the output: <c>y &gt; 0 ? 1 : α</c>. Valid for α ≥ 0 only (then y &gt; 0 ⇔ x &gt; 0); use <see cref="DerivativeAt(float, float)"/> otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Derivative(float y, float alpha) => y > 0f ? 1f : alpha;
    /// <summary><c>f′</c> from the output per lane: <c>y &gt; 0 ? 1 : α</c> (α ≥ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Derivative(Vector128<float> y, Vector128<float> alpha) => Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), Vector128<float>.One, alpha);
    /// <summary><c>f′</c> from the output per lane: <c>y &gt; 0 ? 1 : α</c> (α ≥ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> y, Vector256<float> alpha) => Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), Vector256<float>.One, alpha);
    /// <summary><c>f′</c> from the output per lane: <c>y &gt; 0 ? 1 : α</c> (α ≥ 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> y, Vector512<float> alpha) => Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), Vector512<float>.One, alpha);

    /// <summary><c>f′</c> from the input: <c>x &gt; 0 ? 1 : α</c>, for any α (PReLU's may turn negative).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float DerivativeAt(float x, float alpha) => x > 0f ? 1f : alpha;
    /// <summary><c>f′</c> from the input per lane: <c>x &gt; 0 ? 1 : α</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> DerivativeAt(Vector128<float> x, Vector128<float> alpha) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), Vector128<float>.One, alpha);
    /// <summary><c>f′</c> from the input per lane: <c>x &gt; 0 ? 1 : α</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> DerivativeAt(Vector256<float> x, Vector256<float> alpha) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One, alpha);
    /// <summary><c>f′</c> from the input per lane: <c>x &gt; 0 ? 1 : α</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> DerivativeAt(Vector512<float> x, Vector512<float> alpha) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512<float>.One, alpha);
}
