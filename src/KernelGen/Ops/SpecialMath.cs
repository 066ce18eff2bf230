using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Ops;

/// <summary>
/// Single-precision building blocks shared by the activation operators, for a scalar and every vector width:
/// <c>eˣ − 1</c>, <c>ln(1 + t)</c>, <c>e^(−k·a²)</c>, <c>erf</c> and the normal CDF <c>Φ</c>. Each keeps its
/// relative accuracy where the naive formula cancels, and none returns NaN or ∞ for a finite argument.
/// </summary>
/// <remarks>
/// <para><b>erf / Φ.</b> erf: two regions, split at <c>|z| = 0.75</c>; Φ(x) (z = |x|/√2): one form for every x.</para>
/// <list type="bullet">
/// <item>erf, <c>|z| &lt; 0.75</c>: <c>erf z = z·P(z²)</c>, P of degree 5, relative minimax (Lawson-weighted least
/// squares on 6,000 Chebyshev nodes, fit error 1.4e-9) — the relative accuracy of erf near 0.</item>
/// <item><c>erfc z = t·e^(−z²)·Q(t)</c>, <c>t = 1/(1 + 0.375·z)</c>, Q of degree 8, relative minimax on z ∈ [0, 10.5]
/// (Lawson-weighted least squares on 6,000 Chebyshev nodes in t, fit error 1.5e-8, T = 0.375 the best of a scan;
/// eng/fit-erfc.py prints these constants; the form of Abramowitz–Stegun 7.1.26, refitted). erf = ±(1 − erfc) for
/// |z| ≥ 0.75. <c>Φ(x) = ½·erfc(z)</c> for x ≤ 0 and <c>1 − ½·erfc(z)</c> above, everywhere: above 0, Φ ≥ ½ and the
/// subtraction cannot magnify erfc's relative error, so no small-argument branch is needed; below 0, Φ (and GELU) keep
/// erfc's relative accuracy far into the negative tail. (Until the twelfth session Φ also took erf's small branch below
/// 0.75, with a Q of degree 7 fitted on [0.75, 10.5]: 11 more vector operations per evaluation.)</item>
/// </list>
/// <para><c>e^(−k·a²)</c> (k = 1 or ½) is <c>e^(−k·h)·(1 − k·l)</c> where <c>h + l = a²</c> exactly (h = a·a rounded,
/// l = fma(a, a, −h)): the correction's own error, (k·l)²/2, is below 1e-11 relative, so the result carries no rounding
/// of a² — a plain <c>Exp(−a·a)</c> would carry ≈ 6e-8·a² relative (5e-6 at a = 9) into the tail. |z| is clamped to
/// 10.5, past which <c>erfc</c> underflows to 0 in single precision, so ±1e30 gives exactly ±1 (erf) or 0/1 (Φ). The
/// exponential is <see cref="ExpInline(Vector512{float})"/>, inlined (a call passes the vectors through memory).
/// Against the double oracle (ReferenceActivations): GELU = x·Φ within 8.0 ε (ε = 2⁻²⁴) relative over 4M random draws
/// (twelfth session, Vector512 and scalar; the worst near x = 0.016, from t's rounding), wherever the result is a normal
/// float; ActivationOpsTests bound it by 16 ε at every width and erf by 2e-7 absolute.</para>
/// </remarks>
internal static partial class SpecialMath
{
    /// <summary>|z| below which erf uses the odd polynomial.</summary>
    internal const float ErfSplit = 0.75f;
    /// <summary>|z| past which erfc(z) is 0 in single precision (erfc(10.5) ≈ 7e-50).</summary>
    internal const float ErfClamp = 10.5f;
    /// <summary>|x| past which Φ(−|x|) is 0 in single precision: 10.5·√2.</summary>
    internal const float PhiClamp = 14.849242f;
    internal const float InvSqrt2 = 0.70710678118654752f;
    internal const float InvSqrt2Pi = 0.39894228040143268f;

    // erf z = z·P(z²), |z| < 0.75.
    private const float P0 = 1.128379107e+00f, P1 = -3.761262000e-01f, P2 = 1.128337681e-01f, P3 = -2.683463134e-02f, P4 = 5.114357453e-03f, P5 = -6.749589229e-04f;
    // erfc z = t·e^(−z²)·Q(t), t = 1/(1 + T·z), 0 ≤ z ≤ 10.5 (erf uses it from 0.75 on, Φ from 0).
    private const float T = 0.375f;
    private const float Q0 = 2.116104364e-01f, Q1 = 2.107022107e-01f, Q2 = 2.049315572e-01f, Q3 = 1.230299026e-01f,
        Q4 = 2.700598836e-01f, Q5 = -2.239741236e-01f, Q6 = 4.275190532e-01f, Q7 = -2.849054337e-01f, Q8 = 6.102649122e-02f;
    // eʷ − 1 = w·E(w), |w| < 0.5: Taylor to w⁸/8! (truncation ≤ 1.4e-8 relative).
    private const float ExpM1Split = 0.5f;
    private const float E1 = 1f / 2, E2 = 1f / 6, E3 = 1f / 24, E4 = 1f / 120, E5 = 1f / 720, E6 = 1f / 5040, E7 = 1f / 40320;

    /// <summary><c>eʷ − 1</c> without cancellation near 0: <c>w·E(w)</c> for |w| &lt; 0.5, else <c>eʷ − 1</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ExpM1(float w)
    {
        if (MathF.Abs(w) >= ExpM1Split) return MathF.Exp(w) - 1f;
        float p = E7;
        p = p * w + E6; p = p * w + E5; p = p * w + E4; p = p * w + E3; p = p * w + E2; p = p * w + E1; p = p * w + 1f;
        return w * p;
    }

    /// <summary><c>ln(1 + t)</c> for t &gt; −1 without cancellation (Goldberg): <c>u = 1 + t</c>; <c>t</c> if u = 1, else <c>ln u · t/(u − 1)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Log1P(float t)
    {
        float u = 1f + t;
        return u == 1f ? t : MathF.Log(u) * (t / (u - 1f));
    }

    /// <summary><c>e^(−k·a²)</c> for 0 ≤ a ≤ 14.85 and k = 1 or ½, without the rounding of a² (see the class remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ExpNegSquare(float a, float k)
    {
        float hi = a * a, lo = MathF.FusedMultiplyAdd(a, a, -hi), e = MathF.Exp(-k * hi);
        return MathF.FusedMultiplyAdd(e, -k * lo, e);
    }

    /// <summary><c>erf z</c> for |z| &lt; 0.75: <c>z·P(z²)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfSmall(float z)
    {
        float s = z * z, p = P5;
        p = p * s + P4; p = p * s + P3; p = p * s + P2; p = p * s + P1; p = p * s + P0;
        return z * p;
    }

    /// <summary><c>erfc z</c> for 0 ≤ z ≤ 10.5 given <c>e = e^(−z²)</c>: <c>t·e·Q(t)</c>, t = 1/(1 + 0.375·z).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ErfcLarge(float z, float e)
    {
        float t = 1f / (1f + T * z), q = Q8;
        q = q * t + Q7; q = q * t + Q6; q = q * t + Q5; q = q * t + Q4; q = q * t + Q3; q = q * t + Q2; q = q * t + Q1; q = q * t + Q0;
        return t * e * q;
    }

    /// <summary>The error function <c>erf z = 2/√π ∫₀ᶻ e^(−s²) ds</c>; ±1 exactly for |z| ≥ 10.5.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Erf(float z)
    {
        float az = MathF.Min(MathF.Abs(z), ErfClamp);
        if (az < ErfSplit) return ErfSmall(z);
        return MathF.CopySign(1f - ErfcLarge(az, ExpNegSquare(az, 1f)), z);
    }

    /// <summary>
    /// The standard normal CDF <c>Φ(x) = ½(1 + erf(x/√2))</c>, and <paramref name="e"/> = <c>e^(−x²/2)</c> (so that
    /// the density is <c>φ(x) = e/√(2π)</c>). For x &lt; 0 it is <c>½·erfc(|x|/√2)</c>: relative accuracy in the tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float NormalCdf(float x, out float e)
    {
        float ax = MathF.Min(MathF.Abs(x), PhiClamp), z = ax * InvSqrt2;
        e = ExpNegSquare(ax, 0.5f);
        float h = 0.5f * ErfcLarge(z, e);
        return x > 0f ? 1f - h : h;
    }

    /// <summary><c>eʷ − 1</c> per lane (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> ExpM1(Vector128<float> w)
    {
        Vector128<float> p = Vector128.Create(E7);
        p = Vector128.FusedMultiplyAdd(p, w, Vector128.Create(E6)); p = Vector128.FusedMultiplyAdd(p, w, Vector128.Create(E5)); p = Vector128.FusedMultiplyAdd(p, w, Vector128.Create(E4));
        p = Vector128.FusedMultiplyAdd(p, w, Vector128.Create(E3)); p = Vector128.FusedMultiplyAdd(p, w, Vector128.Create(E2)); p = Vector128.FusedMultiplyAdd(p, w, Vector128.Create(E1)); p = Vector128.FusedMultiplyAdd(p, w, Vector128<float>.One);
        return Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Abs(w), Vector128.Create(ExpM1Split)), w * p, Exp(w) - Vector128<float>.One);
    }

    /// <summary><c>ln(1 + t)</c> per lane, t &gt; −1 (see the scalar overload; the u = 1 lanes' 0/0 is discarded by the select).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Log1P(Vector128<float> t)
    {
        Vector128<float> u = Vector128<float>.One + t;
        return Vector128.ConditionalSelect(Vector128.Equals(u, Vector128<float>.One), t, Vector128.Log(u) * (t / (u - Vector128<float>.One)));
    }

    /// <summary><c>e^(−k·a²)</c> per lane, a ≥ 0, k = 1 or ½.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> ExpNegSquare(Vector128<float> a, float k)
    {
        Vector128<float> hi = a * a, lo = Vector128.FusedMultiplyAdd(a, a, -hi), e = ExpInline(Vector128.Create(-k) * hi);
        return Vector128.FusedMultiplyAdd(e, Vector128.Create(-k) * lo, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ErfSmall(Vector128<float> z)
    {
        Vector128<float> s = z * z, p = Vector128.Create(P5);
        p = Vector128.FusedMultiplyAdd(p, s, Vector128.Create(P4)); p = Vector128.FusedMultiplyAdd(p, s, Vector128.Create(P3)); p = Vector128.FusedMultiplyAdd(p, s, Vector128.Create(P2));
        p = Vector128.FusedMultiplyAdd(p, s, Vector128.Create(P1)); p = Vector128.FusedMultiplyAdd(p, s, Vector128.Create(P0));
        return z * p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ErfcLarge(Vector128<float> z, Vector128<float> e)
    {
        Vector128<float> t = Vector128<float>.One / (Vector128<float>.One + Vector128.Create(T) * z), q = Vector128.Create(Q8);
        q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q7)); q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q6)); q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q5)); q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q4)); q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q3));
        q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q2)); q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q1)); q = Vector128.FusedMultiplyAdd(q, t, Vector128.Create(Q0));
        return t * e * q;
    }

    /// <summary><c>erf z</c> per lane (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Erf(Vector128<float> z)
    {
        Vector128<float> az = Vector128.Min(Vector128.Abs(z), Vector128.Create(ErfClamp));
        Vector128<float> large = Vector128.CopySign(Vector128<float>.One - ErfcLarge(az, ExpNegSquare(az, 1f)), z);
        return Vector128.ConditionalSelect(Vector128.LessThan(az, Vector128.Create(ErfSplit)), ErfSmall(z), large);
    }

    /// <summary><c>Φ(x)</c> per lane, and <paramref name="e"/> = <c>e^(−x²/2)</c> (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> NormalCdf(Vector128<float> x, out Vector128<float> e)
    {
        Vector128<float> ax = Vector128.Min(Vector128.Abs(x), Vector128.Create(PhiClamp)), z = ax * Vector128.Create(InvSqrt2);
        e = ExpNegSquare(ax, 0.5f);
        Vector128<float> h = Vector128.Create(0.5f) * ErfcLarge(z, e);
        return Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), Vector128<float>.One - h, h);
    }

    /// <summary><c>eʷ − 1</c> per lane (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpM1(Vector256<float> w)
    {
        Vector256<float> p = Vector256.Create(E7);
        p = Vector256.FusedMultiplyAdd(p, w, Vector256.Create(E6)); p = Vector256.FusedMultiplyAdd(p, w, Vector256.Create(E5)); p = Vector256.FusedMultiplyAdd(p, w, Vector256.Create(E4));
        p = Vector256.FusedMultiplyAdd(p, w, Vector256.Create(E3)); p = Vector256.FusedMultiplyAdd(p, w, Vector256.Create(E2)); p = Vector256.FusedMultiplyAdd(p, w, Vector256.Create(E1)); p = Vector256.FusedMultiplyAdd(p, w, Vector256<float>.One);
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(w), Vector256.Create(ExpM1Split)), w * p, Exp(w) - Vector256<float>.One);
    }

    /// <summary><c>ln(1 + t)</c> per lane, t &gt; −1 (see the scalar overload; the u = 1 lanes' 0/0 is discarded by the select).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Log1P(Vector256<float> t)
    {
        Vector256<float> u = Vector256<float>.One + t;
        return Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<float>.One), t, Vector256.Log(u) * (t / (u - Vector256<float>.One)));
    }

    /// <summary><c>e^(−k·a²)</c> per lane, a ≥ 0, k = 1 or ½.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpNegSquare(Vector256<float> a, float k)
    {
        Vector256<float> hi = a * a, lo = Vector256.FusedMultiplyAdd(a, a, -hi), e = ExpInline(Vector256.Create(-k) * hi);
        return Vector256.FusedMultiplyAdd(e, Vector256.Create(-k) * lo, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfSmall(Vector256<float> z)
    {
        Vector256<float> s = z * z, p = Vector256.Create(P5);
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P4)); p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P3)); p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P1)); p = Vector256.FusedMultiplyAdd(p, s, Vector256.Create(P0));
        return z * p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfcLarge(Vector256<float> z, Vector256<float> e)
    {
        Vector256<float> t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create(T) * z), q = Vector256.Create(Q8);
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q7)); q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q6)); q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q5)); q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q4)); q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q3));
        q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q2)); q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q1)); q = Vector256.FusedMultiplyAdd(q, t, Vector256.Create(Q0));
        return t * e * q;
    }

    /// <summary><c>erf z</c> per lane (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Erf(Vector256<float> z)
    {
        Vector256<float> az = Vector256.Min(Vector256.Abs(z), Vector256.Create(ErfClamp));
        Vector256<float> large = Vector256.CopySign(Vector256<float>.One - ErfcLarge(az, ExpNegSquare(az, 1f)), z);
        return Vector256.ConditionalSelect(Vector256.LessThan(az, Vector256.Create(ErfSplit)), ErfSmall(z), large);
    }

    /// <summary><c>Φ(x)</c> per lane, and <paramref name="e"/> = <c>e^(−x²/2)</c> (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> NormalCdf(Vector256<float> x, out Vector256<float> e)
    {
        Vector256<float> ax = Vector256.Min(Vector256.Abs(x), Vector256.Create(PhiClamp)), z = ax * Vector256.Create(InvSqrt2);
        e = ExpNegSquare(ax, 0.5f);
        Vector256<float> h = Vector256.Create(0.5f) * ErfcLarge(z, e);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), Vector256<float>.One - h, h);
    }

    /// <summary><c>eʷ − 1</c> per lane (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpM1(Vector512<float> w)
    {
        Vector512<float> p = Vector512.Create(E7);
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E6)); p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E5)); p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E4));
        p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E3)); p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E2)); p = Vector512.FusedMultiplyAdd(p, w, Vector512.Create(E1)); p = Vector512.FusedMultiplyAdd(p, w, Vector512<float>.One);
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(w), Vector512.Create(ExpM1Split)), w * p, Exp(w) - Vector512<float>.One);
    }

    /// <summary><c>ln(1 + t)</c> per lane, t &gt; −1 (see the scalar overload; the u = 1 lanes' 0/0 is discarded by the select).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Log1P(Vector512<float> t)
    {
        Vector512<float> u = Vector512<float>.One + t;
        return Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<float>.One), t, Vector512.Log(u) * (t / (u - Vector512<float>.One)));
    }

    /// <summary><c>e^(−k·a²)</c> per lane, a ≥ 0, k = 1 or ½.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ExpNegSquare(Vector512<float> a, float k)
    {
        Vector512<float> hi = a * a, lo = Vector512.FusedMultiplyAdd(a, a, -hi), e = ExpInline(Vector512.Create(-k) * hi);
        return Vector512.FusedMultiplyAdd(e, Vector512.Create(-k) * lo, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfSmall(Vector512<float> z)
    {
        Vector512<float> s = z * z, p = Vector512.Create(P5);
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P4)); p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P3)); p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P1)); p = Vector512.FusedMultiplyAdd(p, s, Vector512.Create(P0));
        return z * p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfcLarge(Vector512<float> z, Vector512<float> e)
    {
        Vector512<float> t = Vector512<float>.One / (Vector512<float>.One + Vector512.Create(T) * z), q = Vector512.Create(Q8);
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q7)); q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q6)); q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q5)); q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q4)); q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q3));
        q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q2)); q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q1)); q = Vector512.FusedMultiplyAdd(q, t, Vector512.Create(Q0));
        return t * e * q;
    }

    /// <summary><c>erf z</c> per lane (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Erf(Vector512<float> z)
    {
        Vector512<float> az = Vector512.Min(Vector512.Abs(z), Vector512.Create(ErfClamp));
        Vector512<float> large = Vector512.CopySign(Vector512<float>.One - ErfcLarge(az, ExpNegSquare(az, 1f)), z);
        return Vector512.ConditionalSelect(Vector512.LessThan(az, Vector512.Create(ErfSplit)), ErfSmall(z), large);
    }

    /// <summary><c>Φ(x)</c> per lane, and <paramref name="e"/> = <c>e^(−x²/2)</c> (see the scalar overload).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> NormalCdf(Vector512<float> x, out Vector512<float> e)
    {
        Vector512<float> ax = Vector512.Min(Vector512.Abs(x), Vector512.Create(PhiClamp)), z = ax * Vector512.Create(InvSqrt2);
        e = ExpNegSquare(ax, 0.5f);
        Vector512<float> h = Vector512.Create(0.5f) * ErfcLarge(z, e);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512<float>.One - h, h);
    }
}
