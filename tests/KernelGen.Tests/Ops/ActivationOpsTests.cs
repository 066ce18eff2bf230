using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;
using KernelGen.Ops;
using KernelGen.Reference;
using Xunit;
using Xunit.Abstractions;

namespace KernelGen.Tests;

/// <summary>
/// The activations added after the first four (seed deck 000, /work/shared/seeds/000_*.txt, "Activation functions":
/// LeakyReLU/PReLU, ELU, Softplus, GELU, SiLU) and their derivatives, at the scalar body and every vector width
/// (Vector512 runs in software where the CPU lacks AVX-512), against the double-precision formulas of
/// <see cref="ReferenceActivations"/>: fixed points including the saturation points ±20, ±88, ±100, ±1e30 and
/// ±float.MaxValue (where NaN or ∞ must never appear), a dense sweep, and FsCheck draws of mixed magnitudes.
/// Vectors are filled with consecutive different values, so every lane (not only lane 0 of a broadcast) is checked.
/// </summary>
/// <remarks>
/// Tolerances are in units of ε = 2⁻²⁴ (float's unit roundoff, 6e-8), per operation, relative to the reference
/// value or, where the formula is a sum of terms that can cancel (ELU′ = y + α, GELU′ = Φ + xφ, SiLU′ = s + s·x(1−s)),
/// to the sum of the terms' magnitudes — the size of error that rounding the terms already causes. Results below
/// <see cref="Tiny"/> are compared absolutely: there float has no normal numbers left and .NET's vector Exp may flush
/// subnormal results to 0.
/// </remarks>
public class ActivationOpsTests
{
    private const double Eps = 1.0 / (1 << 24);
    private const double Tiny = 1e-37;
    private readonly ITestOutputHelper _output;

    public ActivationOpsTests(ITestOutputHelper output) => _output = output;

    // The saturation points, the branch points of the implementations (ExpM1's |w| = 0.5, erf's |x|/√2 = 0.75, Φ's
    // clamp 14.85), the roots of GELU′ (−0.7518) and SiLU′ (−1.2785), and a sweep over [−16, 16] in steps of 1/64.
    private static readonly float[] Fixed = new float[]
        {
            0f, -0f, float.Epsilon, -float.Epsilon, 1e-30f, -1e-30f, 1e-5f, -1e-5f, 0.3f, -0.3f, 0.5f, -0.5f, 0.4999f, -0.5001f,
            0.7518f, -0.7518f, 1.0606f, -1.0607f, 1f, -1f, 1.2785f, -1.2785f, 2.5f, -2.5f, 5f, -5f, 8f, -8f, 13f, -13f,
            14.849f, -14.849f, 14.85f, -14.85f, 20f, -20f, 88f, -88f, 100f, -100f, 1e30f, -1e30f, float.MaxValue, -float.MaxValue,
        }
        .Concat(Enumerable.Range(-1024, 2049).Select(i => i / 64f)).ToArray();

    private static readonly float[] Alphas = { 0f, 0.01f, 0.2f };
    private static readonly float[] EluAlphas = { 0f, 0.01f, 0.2f, 1f, 2f };

    /// <summary>One function at every width; <c>a</c> is the per-element α (ignored by functions without one).</summary>
    private sealed record Op(
        string Name,
        Func<float, float, float> Scalar,
        Func<Vector128<float>, Vector128<float>, Vector128<float>> V128,
        Func<Vector256<float>, Vector256<float>, Vector256<float>> V256,
        Func<Vector512<float>, Vector512<float>, Vector512<float>> V512);

    /// <summary>
    /// Applies <paramref name="op"/> to <paramref name="inputs"/> at every width — consecutive elements fill the lanes,
    /// a zero-padded last vector — and checks every result is finite and within <paramref name="tolerance"/> of
    /// <paramref name="expected"/>. Both are functions of the original <c>x</c>; <paramref name="inputs"/> may be a
    /// transform of it (the float output y for derivatives taken from the output). Returns the largest error/tolerance.
    /// </summary>
    private static double Check(Op op, float[] xs, float[] inputs, float[] alphas, Func<int, double> expected, Func<int, double> tolerance)
    {
        int n = xs.Length, padded = (n + 15) / 16 * 16;
        var x = new float[padded];
        var a = new float[padded];
        inputs.CopyTo(x, 0);
        alphas.CopyTo(a, 0);
        var results = new (string Width, float[] Y)[] { ("scalar", new float[padded]), ("V128", new float[padded]), ("V256", new float[padded]), ("V512", new float[padded]) };
        for (int i = 0; i < padded; i++) results[0].Y[i] = op.Scalar(x[i], a[i]);
        for (int i = 0; i < padded; i += 4) op.V128(Vector128.Create(x, i), Vector128.Create(a, i)).CopyTo(results[1].Y, i);
        for (int i = 0; i < padded; i += 8) op.V256(Vector256.Create(x, i), Vector256.Create(a, i)).CopyTo(results[2].Y, i);
        for (int i = 0; i < padded; i += 16) op.V512(Vector512.Create(x, i), Vector512.Create(a, i)).CopyTo(results[3].Y, i);

        double worst = 0;
        for (int i = 0; i < n; i++)
        {
            double e = expected(i), tol = tolerance(i);
            foreach ((string width, float[] y) in results)
            {
                float v = y[i];
                string where = string.Create(CultureInfo.InvariantCulture, $"{op.Name}: x = {xs[i]:R} (input {inputs[i]:R}, α = {alphas[i]:R}) at {width} gave {v:R}, expected {e:R}");
                Assert.True(float.IsFinite(v), where);
                double err = Math.Abs(v - e);
                Assert.True(err <= tol, $"{where}: error {err:E3} > tolerance {tol:E3}");
                if (tol > 0) worst = Math.Max(worst, err / tol);
            }
        }
        return worst;
    }

    private static double Rel(double k, double value) => k * Eps * Math.Abs(value) + Tiny;

    private static float[] Fill(int n, float value) => Enumerable.Repeat(value, n).ToArray();

    /// <summary>Mixed magnitudes: uniform in ±24, log-uniform in ±[1e-30, 1e30], and the fixed points, shuffled.</summary>
    private static float[] Mixed(Random r, int n)
    {
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = r.Next(3) switch
            {
                0 => (float)(r.NextDouble() * 48 - 24),
                1 => (float)(Math.Pow(10, r.NextDouble() * 60 - 30) * (r.Next(2) == 0 ? 1 : -1)),
                _ => Fixed[r.Next(Fixed.Length)],
            };
        return x;
    }

    /// <summary>Runs <paramref name="body"/> on the fixed points, then on FsCheck-drawn arrays of mixed values.</summary>
    private void Property(string name, Func<float[], double> body)
    {
        double worst = body(Fixed);
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var r = new Random(seed);
            worst = Math.Max(worst, body(Mixed(r, 1 + r.Next(200))));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(100));
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: largest error / tolerance = {worst:F3}"));
    }

    // ---- LeakyReLU / PReLU: f = x > 0 ? x : αx; f′ = x > 0 ? 1 : α ---------------------------------------------

    private static readonly Op LeakyInvoke = new("LeakyReLU", LeakyReLUOperator.Invoke, LeakyReLUOperator.Invoke, LeakyReLUOperator.Invoke, LeakyReLUOperator.Invoke);
    private static readonly Op LeakyDerivative = new("LeakyReLU′(y)", LeakyReLUOperator.Derivative, LeakyReLUOperator.Derivative, LeakyReLUOperator.Derivative, LeakyReLUOperator.Derivative);
    private static readonly Op LeakyDerivativeAt = new("LeakyReLU′(x)", LeakyReLUOperator.DerivativeAt, LeakyReLUOperator.DerivativeAt, LeakyReLUOperator.DerivativeAt, LeakyReLUOperator.DerivativeAt);

    /// <summary>LeakyReLU f = x &gt; 0 ? x : αx (seed 000's max(0.1x, x)), α ∈ {0, 0.01, 0.2}: one rounding of αx, so 1 ε relative; f′ from y and from x exact.</summary>
    [Fact]
    public void LeakyReLU_and_its_derivatives_match_the_formula()
    {
        foreach (float alpha in Alphas)
            Property($"LeakyReLU α={alpha}", xs =>
            {
                float[] a = Fill(xs.Length, alpha);
                double w = Check(LeakyInvoke, xs, xs, a, i => ReferenceActivations.Activate(Act.LeakyReLU, xs[i], alpha), i => Rel(1, ReferenceActivations.Activate(Act.LeakyReLU, xs[i], alpha)));
                float[] y = xs.Select(x => (float)ReferenceActivations.Activate(Act.LeakyReLU, x, alpha)).ToArray();
                Check(LeakyDerivative, xs, y, a, i => ReferenceActivations.Derivative(Act.LeakyReLU, xs[i], alpha), _ => 0);
                Check(LeakyDerivativeAt, xs, xs, a, i => ReferenceActivations.Derivative(Act.LeakyReLU, xs[i], alpha), _ => 0);
                return w;
            });
    }

    /// <summary>PReLU = LeakyReLU with one α per unit: a different α in every lane, including negative ones for DerivativeAt.</summary>
    [Fact]
    public void PReLU_takes_a_different_alpha_in_every_lane()
    {
        float[] choices = { 0f, 0.01f, 0.2f, 0.25f, 0.7f, -0.3f };
        Property("PReLU per-lane α", xs =>
        {
            float[] a = Enumerable.Range(0, xs.Length).Select(i => choices[i * 5 % choices.Length]).ToArray();
            double w = Check(LeakyInvoke, xs, xs, a, i => ReferenceActivations.Activate(Act.PReLU, xs[i], a[i]), i => Rel(1, ReferenceActivations.Activate(Act.PReLU, xs[i], a[i])));
            Check(LeakyDerivativeAt, xs, xs, a, i => ReferenceActivations.Derivative(Act.PReLU, xs[i], a[i]), _ => 0);
            return w;
        });
    }

    // ---- ELU: f = x > 0 ? x : α(eˣ − 1); f′ = x > 0 ? 1 : αeˣ = y + α ----------------------------------------------

    private static readonly Op EluInvoke = new("ELU", ELUOperator.Invoke, ELUOperator.Invoke, ELUOperator.Invoke, ELUOperator.Invoke);
    private static readonly Op EluDerivative = new("ELU′(y)", ELUOperator.Derivative, ELUOperator.Derivative, ELUOperator.Derivative, ELUOperator.Derivative);

    /// <summary>
    /// ELU f = x &gt; 0 ? x : α(eˣ − 1) (seed 000), α ∈ {0, 0.01, 0.2, 1, 2}: eˣ − 1 by a Taylor polynomial or, for
    /// x ≤ −0.5, exp − 1 (exp's few ulp grow by up to 1.5× in the subtraction), times α; 3.7 ε measured over 4M draws (with .NET's
    /// exp, before SpecialMath.Exp; the bounds below hold for both)
    /// → 8 ε relative. f′ = y + α from the float output: y's rounding and the sum's, 2 ε of |y| + α (0.8 ε measured).
    /// </summary>
    [Fact]
    public void ELU_and_its_derivative_match_the_formula()
    {
        foreach (float alpha in EluAlphas)
            Property($"ELU α={alpha}", xs =>
            {
                float[] a = Fill(xs.Length, alpha);
                double w = Check(EluInvoke, xs, xs, a, i => ReferenceActivations.Activate(Act.ELU, xs[i], alpha), i => Rel(8, ReferenceActivations.Activate(Act.ELU, xs[i], alpha)));
                float[] y = xs.Select(x => (float)ReferenceActivations.Activate(Act.ELU, x, alpha)).ToArray();
                return Math.Max(w, Check(EluDerivative, xs, y, a, i => ReferenceActivations.Derivative(Act.ELU, xs[i], alpha),
                    i => 2 * Eps * (Math.Abs(y[i]) + alpha) + Tiny));
            });
    }

    // ---- IActivationOperator / IInputDerivativeOperator adapters ------------------------------------------------

    private static Op Forward<T>(string name) where T : IActivationOperator
        => new(name, (x, _) => T.Invoke(x), (x, _) => T.Invoke(x), (x, _) => T.Invoke(x), (x, _) => T.Invoke(x));

    private static Op FromOutput<T>(string name) where T : IActivationOperator
        => new(name, (y, _) => T.Derivative(y), (y, _) => T.Derivative(y), (y, _) => T.Derivative(y), (y, _) => T.Derivative(y));

    private static Op ForwardAt<T>(string name) where T : IInputDerivativeOperator
        => new(name, (x, _) => T.Invoke(x), (x, _) => T.Invoke(x), (x, _) => T.Invoke(x), (x, _) => T.Invoke(x));

    private static Op AtInput<T>(string name) where T : IInputDerivativeOperator
        => new(name, (x, _) => T.DerivativeAt(x), (x, _) => T.DerivativeAt(x), (x, _) => T.DerivativeAt(x), (x, _) => T.DerivativeAt(x));

    // ---- Softplus: f = ln(1 + eˣ); f′ = σ(x) = 1 − e^−y ---------------------------------------------------------

    /// <summary>
    /// Softplus f = max(x, 0) + ln(1 + e^−|x|): the vector exp (SpecialMath.Exp, ≤ 2 ulp; .NET's until the eighth session, when
    /// the ε figures here were measured) and log (a few ulp) and the Goldberg log1p's
    /// three roundings; 5.2 ε measured over 4M draws → 10 ε relative. f′ = 1 − e^−y = σ(x) from the float output:
    /// 3.5 ε measured → 8 ε relative, plus y's own rounding carried through e^−y (ε·y·e^−y).
    /// </summary>
    [Fact]
    public void Softplus_and_its_derivative_match_the_formula()
    {
        Op f = Forward<SoftplusOperator>("Softplus"), d = FromOutput<SoftplusOperator>("Softplus′(y)");
        Property("Softplus", xs =>
        {
            float[] a = new float[xs.Length];
            double w = Check(f, xs, xs, a, i => ReferenceActivations.Activate(Act.Softplus, xs[i], 0), i => Rel(10, ReferenceActivations.Activate(Act.Softplus, xs[i], 0)));
            float[] y = xs.Select(x => (float)ReferenceActivations.Activate(Act.Softplus, x, 0)).ToArray();
            return Math.Max(w, Check(d, xs, y, a, i => ReferenceActivations.Derivative(Act.Softplus, xs[i], 0),
                i => Rel(8, ReferenceActivations.Derivative(Act.Softplus, xs[i], 0)) + Eps * y[i] * Math.Exp(-(double)y[i])));
        });
    }

    // ---- GELU: f = x·Φ(x) = ½x(1 + erf(x/√2)); f′ = Φ(x) + x·φ(x) ----------------------------------------------

    /// <summary>
    /// GELU (exact) f = ½x(1 + erf(x/√2)): Φ from erf's polynomial or the erfc form (see SpecialMath); 8.0 ε measured
    /// over 4M draws (at x ≈ −1.95, where t = 1/(1 + 0.47z), the polynomial and exp each round) → 16 ε relative.
    /// f′ = Φ + xφ, φ = e^(−x²/2)/√(2π): 5.7 ε measured → 16 ε of |Φ| + |xφ| (the two cancel where f′ crosses 0 at
    /// x ≈ −0.75).
    /// </summary>
    [Fact]
    public void GELU_and_its_derivative_match_the_formula()
    {
        Op f = ForwardAt<GeluOperator>("GELU"), d = AtInput<GeluOperator>("GELU′(x)");
        Property("GELU", xs =>
        {
            float[] a = new float[xs.Length];
            double w = Check(f, xs, xs, a, i => ReferenceActivations.Activate(Act.GELU, xs[i], 0), i => Rel(16, ReferenceActivations.Activate(Act.GELU, xs[i], 0)));
            return Math.Max(w, Check(d, xs, xs, a, i => ReferenceActivations.Derivative(Act.GELU, xs[i], 0), i =>
            {
                double x = xs[i];
                return 16 * Eps * (ReferenceActivations.NormalCdf(x) + Math.Abs(x) * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI)) + Tiny;
            }));
        });
    }

    // ---- SiLU: f = x·σ(x); f′ = s(1 + x(1 − s)) --------------------------------------------------------------------

    /// <summary>
    /// SiLU f = x·σ(x) = x/(1 + e^−x): exp (a few ulp), a division and two products; 4.9 ε measured over 4M draws →
    /// 10 ε relative. f′ = s(1 + x(1 − s)): 5.5 ε measured → 12 ε of s + |s·x·(1 − s)| (the terms cancel where f′
    /// crosses 0 at x ≈ −1.28).
    /// </summary>
    [Fact]
    public void SiLU_and_its_derivative_match_the_formula()
    {
        Op f = ForwardAt<SiLUOperator>("SiLU"), d = AtInput<SiLUOperator>("SiLU′(x)");
        Property("SiLU", xs =>
        {
            float[] a = new float[xs.Length];
            double w = Check(f, xs, xs, a, i => ReferenceActivations.Activate(Act.SiLU, xs[i], 0), i => Rel(10, ReferenceActivations.Activate(Act.SiLU, xs[i], 0)));
            return Math.Max(w, Check(d, xs, xs, a, i => ReferenceActivations.Derivative(Act.SiLU, xs[i], 0), i =>
            {
                double x = xs[i], s = ReferenceActivations.Sigmoid(x);
                return 12 * Eps * (s + Math.Abs(s * x * ReferenceActivations.Sigmoid(-x))) + Tiny;
            }));
        });
    }

    /// <summary>Far outside the curved part every function takes its asymptote exactly (seed 000: "saturate"), at every width.</summary>
    /// <summary>
    /// <c>Invoke(x, out f′)</c> — what a dense layer's epilogue runs when GELU or SiLU is fused into it — gives the bits of
    /// <c>Invoke(x)</c> and <c>DerivativeAt(x)</c> separately, as scalar and at every vector width (lane by lane), for random
    /// values and the special ones: ±0, ±∞, NaN (any NaN), the largest and smallest floats, subnormals, and GELU's saturation below −14.85.
    /// </summary>
    [Fact]
    public void Invoke_with_the_derivative_gives_the_bits_of_the_two_separately()
    {
        Same<GeluOperator>();
        Same<SiLUOperator>();
    }

    private static void Same<T>() where T : IInputDerivativeOperator
    {
        var r = new Random(21);
        var values = new List<float> { 0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.MaxValue, float.MinValue,
            float.Epsilon, -float.Epsilon, 1e-39f, -1e-39f, -14.85f, -14.9f, -20f, 20f, -0.75f, 0.75f, 88.8f, -88.8f, 1f, -1f };
        while (values.Count % 16 != 0 || values.Count < 4096) values.Add((float)((r.NextDouble() * 2 - 1) * Math.Pow(10, r.Next(-6, 3))));
        float[] x = values.ToArray();
        // A NaN is a NaN: which operand's payload x86 propagates depends on the JIT's operand order, not on the formula.
        int Bits(float v) => float.IsNaN(v) ? int.MinValue : BitConverter.SingleToInt32Bits(v);
        for (int i = 0; i < x.Length; i++)
        {
            float y = T.Invoke(x[i], out float d);
            Assert.True(Bits(y) == Bits(T.Invoke(x[i])) && Bits(d) == Bits(T.DerivativeAt(x[i])), $"{typeof(T).Name} scalar at {x[i]:R}");
        }
        for (int i = 0; i + 4 <= x.Length; i += 4)
        {
            Vector128<float> v = Vector128.Create(x, i), y = T.Invoke(v, out Vector128<float> d), f = T.Invoke(v), g = T.DerivativeAt(v);
            for (int l = 0; l < 4; l++) Assert.True(Bits(y[l]) == Bits(f[l]) && Bits(d[l]) == Bits(g[l]), $"{typeof(T).Name} Vector128 at {x[i + l]:R}");
        }
        for (int i = 0; i + 8 <= x.Length; i += 8)
        {
            Vector256<float> v = Vector256.Create(x, i), y = T.Invoke(v, out Vector256<float> d), f = T.Invoke(v), g = T.DerivativeAt(v);
            for (int l = 0; l < 8; l++) Assert.True(Bits(y[l]) == Bits(f[l]) && Bits(d[l]) == Bits(g[l]), $"{typeof(T).Name} Vector256 at {x[i + l]:R}");
        }
        for (int i = 0; i + 16 <= x.Length; i += 16)
        {
            Vector512<float> v = Vector512.Create(x, i), y = T.Invoke(v, out Vector512<float> d), f = T.Invoke(v), g = T.DerivativeAt(v);
            for (int l = 0; l < 16; l++) Assert.True(Bits(y[l]) == Bits(f[l]) && Bits(d[l]) == Bits(g[l]), $"{typeof(T).Name} Vector512 at {x[i + l]:R}");
        }
    }

    [Fact]
    public void Saturation_gives_the_asymptote_exactly()
    {
        foreach (float big in new[] { 20f, 100f, 1e30f, float.MaxValue })
        {
            Exact(big, x => GeluOperator.Invoke(x), x => GeluOperator.Invoke(x), x => GeluOperator.Invoke(x), x => GeluOperator.Invoke(x), big);
            Exact(-big, x => GeluOperator.Invoke(x), x => GeluOperator.Invoke(x), x => GeluOperator.Invoke(x), x => GeluOperator.Invoke(x), 0f);
            Exact(big, x => GeluOperator.DerivativeAt(x), x => GeluOperator.DerivativeAt(x), x => GeluOperator.DerivativeAt(x), x => GeluOperator.DerivativeAt(x), 1f);
            Exact(-big, x => GeluOperator.DerivativeAt(x), x => GeluOperator.DerivativeAt(x), x => GeluOperator.DerivativeAt(x), x => GeluOperator.DerivativeAt(x), 0f);
            Exact(big, x => SiLUOperator.Invoke(x), x => SiLUOperator.Invoke(x), x => SiLUOperator.Invoke(x), x => SiLUOperator.Invoke(x), big);
            Exact(big, x => SiLUOperator.DerivativeAt(x), x => SiLUOperator.DerivativeAt(x), x => SiLUOperator.DerivativeAt(x), x => SiLUOperator.DerivativeAt(x), 1f);
            Exact(big, x => SoftplusOperator.Invoke(x), x => SoftplusOperator.Invoke(x), x => SoftplusOperator.Invoke(x), x => SoftplusOperator.Invoke(x), big);
            Exact(big, x => SoftplusOperator.Derivative(x), x => SoftplusOperator.Derivative(x), x => SoftplusOperator.Derivative(x), x => SoftplusOperator.Derivative(x), 1f);
            Exact(-big, x => ELUOperator.Invoke(x, 0.5f), x => ELUOperator.Invoke(x, Vector128.Create(0.5f)), x => ELUOperator.Invoke(x, Vector256.Create(0.5f)), x => ELUOperator.Invoke(x, Vector512.Create(0.5f)), -0.5f);
        }
        // x·eˣ and ln(1 + eˣ) are still subnormal floats at −100; exactly 0 once eˣ underflows entirely.
        foreach (float big in new[] { 1e30f, float.MaxValue })
        {
            Exact(-big, x => SiLUOperator.Invoke(x), x => SiLUOperator.Invoke(x), x => SiLUOperator.Invoke(x), x => SiLUOperator.Invoke(x), 0f);
            Exact(-big, x => SiLUOperator.DerivativeAt(x), x => SiLUOperator.DerivativeAt(x), x => SiLUOperator.DerivativeAt(x), x => SiLUOperator.DerivativeAt(x), 0f);
            Exact(-big, x => SoftplusOperator.Invoke(x), x => SoftplusOperator.Invoke(x), x => SoftplusOperator.Invoke(x), x => SoftplusOperator.Invoke(x), 0f);
        }
    }

    private static void Exact(float x, Func<float, float> s, Func<Vector128<float>, Vector128<float>> v128, Func<Vector256<float>, Vector256<float>> v256, Func<Vector512<float>, Vector512<float>> v512, float expected)
    {
        Assert.Equal(expected, s(x));
        Assert.Equal(expected, v128(Vector128.Create(1f, x, -1f, 0.5f)).GetElement(1));
        Assert.Equal(expected, v256(Vector256.Create(1f, 2f, 3f, x, -1f, -2f, -3f, 0.5f)).GetElement(3));
        Assert.Equal(expected, v512(Vector512.Create(1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, -1f, -2f, x, -4f, -5f, -6f, -7f, 0.5f)).GetElement(10));
    }

    // ---- erf ---------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The float erf behind GELU, every width, against the double <see cref="ReferenceActivations.Erf"/>: within
    /// 2e-7 absolute (the target; 1.4e-7 ≈ 2.4 ε measured over 4M random draws) on a 1e-4 grid over [−8, 8] plus ±10.5, ±1e30 and
    /// ±float.MaxValue, where it must be exactly ±1.
    /// </summary>
    [Fact]
    public void Float_erf_is_within_2e_7_of_the_double_erf()
    {
        float[] xs = Enumerable.Range(-80_000, 160_001).Select(i => i / 10_000f)
            .Concat(new[] { 10.5f, -10.5f, 11f, -11f, 1e30f, -1e30f, float.MaxValue, -float.MaxValue, 1e-30f, -1e-30f, 0f }).ToArray();
        var op = new Op("erf", (x, _) => SpecialMath.Erf(x), (x, _) => SpecialMath.Erf(x), (x, _) => SpecialMath.Erf(x), (x, _) => SpecialMath.Erf(x));
        double worst = Check(op, xs, xs, new float[xs.Length], i => ReferenceActivations.Erf(xs[i]), _ => 2e-7);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"float erf: largest absolute error {worst * 2e-7:E3}"));
        foreach (float big in new[] { 10.5f, 1e30f, float.MaxValue })
        {
            Assert.Equal(1f, SpecialMath.Erf(big));
            Assert.Equal(-1f, SpecialMath.Erf(-big));
            Assert.Equal(1f, SpecialMath.Erf(Vector512.Create(big)).GetElement(9));
        }
    }

    /// <summary>
    /// The double erf of the oracle against MathNet.Numerics' SpecialFunctions.Erf on a 1e-3 grid over [−7, 7]: within
    /// 1e-14 absolute (the target; both are within a few 1e-16). erfc against MathNet's Erfc on [−3, 26] (erfc(26) =
    /// 5.7e-296) within 1e-14 + 2e-16·x² relative: MathNet's own erfc keeps x²'s rounding and drifts by ≈ 1e-16·x²
    /// (5e-14 at x = 22.6), while this one is within 5e-16 of 40-digit mpmath values on [1, 26]; the tail is pinned
    /// by such values below, to 2e-15.
    /// </summary>
    [Fact]
    public void Double_erf_matches_MathNet()
    {
        double worstErf = 0, worstErfc = 0, worstErfcAt = 0;
        for (int i = -7000; i <= 7000; i++)
        {
            double x = i / 1000.0;
            double e = Math.Abs(ReferenceActivations.Erf(x) - MathNet.Numerics.SpecialFunctions.Erf(x));
            Assert.True(e <= 1e-14, string.Create(CultureInfo.InvariantCulture, $"erf({x}) off by {e:E3}"));
            worstErf = Math.Max(worstErf, e);
        }
        for (int i = -3000; i <= 26_000; i++)
        {
            double x = i / 1000.0, expected = MathNet.Numerics.SpecialFunctions.Erfc(x);
            double r = Math.Abs(ReferenceActivations.Erfc(x) - expected) / expected;
            Assert.True(r <= 1e-14 + 2e-16 * x * x, string.Create(CultureInfo.InvariantCulture, $"erfc({x}) off by {r:E3} relative"));
            if (r > worstErfc) (worstErfc, worstErfcAt) = (r, x);
        }
        // Abramowitz & Stegun table 7.1 / high-precision values.
        Assert.Equal(0.8427007929497148693, ReferenceActivations.Erf(1), 1e-15);
        Assert.Equal(0.5204998778130465377, ReferenceActivations.Erf(0.5), 1e-15);
        Assert.Equal(-0.9999779095030014146, ReferenceActivations.Erf(-3), 1e-15);
        Assert.True(Math.Abs(ReferenceActivations.Erfc(5) / 1.5374597944280348502e-12 - 1) < 2e-15);
        Assert.True(Math.Abs(ReferenceActivations.Erfc(10) / 2.0884875837625447570e-45 - 1) < 2e-15);
        Assert.True(Math.Abs(ReferenceActivations.Erfc(20) / 5.3958656116079009289e-176 - 1) < 2e-15);
        Assert.True(Math.Abs(ReferenceActivations.Erfc(26) / 5.6631924088561428465e-296 - 1) < 2e-15);
        Assert.Equal(1, ReferenceActivations.Erf(1e30));
        Assert.Equal(0, ReferenceActivations.Erfc(1e30));
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"double erf vs MathNet: {worstErf:E3} absolute; erfc: {worstErfc:E3} relative (at x = {worstErfcAt})"));
    }

    /// <summary>The reference's other special cases: ReLU′(0) = 0 as PyTorch, LeakyReLU′(0) = α, and the first four acts agree with ReferenceLayers.</summary>
    [Fact]
    public void Reference_special_cases()
    {
        Assert.Equal(0, ReferenceActivations.Derivative(Act.ReLU, 0, 0));
        Assert.Equal(0.2, ReferenceActivations.Derivative(Act.LeakyReLU, 0, 0.2));
        Assert.Equal(0.5, ReferenceActivations.Derivative(Act.Softplus, 0, 0));
        Assert.Equal(0.5, ReferenceActivations.Derivative(Act.GELU, 0, 0));
        Assert.Equal(0.5, ReferenceActivations.Derivative(Act.SiLU, 0, 0));
        Assert.Equal(Math.Log(2), ReferenceActivations.Activate(Act.Softplus, 0, 0), 15);
        Assert.Equal(1e30, ReferenceActivations.Activate(Act.Softplus, 1e30, 0));
        Assert.Equal(Math.Exp(-50), ReferenceActivations.Activate(Act.Softplus, -50, 0), 1e-35);
        Assert.Equal(-1, ReferenceActivations.Activate(Act.ELU, -1e30, 1));
        foreach (Act act in Enum.GetValues<Act>())
            foreach (double x in new[] { -3.0, -0.5, 0, 0.5, 3.0 })
            {
                Assert.Equal(ReferenceActivations.Activate(act, x, ReferenceLayers.DefaultAlpha(act)), ReferenceLayers.Activate(act, x));
                Assert.Equal(ReferenceActivations.Derivative(act, x, ReferenceLayers.DefaultAlpha(act)), ReferenceLayers.Derivative(act, x));
            }
        // Every derivative is the derivative: centred differences, relative 1e-6 away from kinks.
        foreach (Act act in Enum.GetValues<Act>())
            foreach (double x in new[] { -4.0, -1.3, -0.7, 0.4, 2.2, 6.0 })
            {
                const double h = 1e-5;
                double alpha = act is Act.ELU ? 1.5 : 0.2;
                double fd = (ReferenceActivations.Activate(act, x + h, alpha) - ReferenceActivations.Activate(act, x - h, alpha)) / (2 * h);
                double d = ReferenceActivations.Derivative(act, x, alpha);
                Assert.True(Math.Abs(fd - d) <= 1e-6 * Math.Max(1, Math.Abs(d)), $"{act}′({x}) = {d}, centred difference {fd}");
            }
    }

    // ---- Elementwise --------------------------------------------------------------------------------------------

    /// <summary>Elementwise.Map / MapAt against the scalar Invoke for every length 0..70 and a few long ones (covers the overlapping last vector).</summary>
    [Fact]
    public void Elementwise_map_matches_the_scalar_operator_at_every_length()
    {
        var r = new Random(7);
        foreach (int n in Enumerable.Range(0, 71).Concat(new[] { 127, 128, 129, 1000, 4099 }))
        {
            float[] x = Mixed(r, n);
            MapMatches<SigmoidOperator>(x, SigmoidOperator.Invoke, Elementwise.Map<SigmoidOperator>);
            MapMatches<TanhOperator>(x, TanhOperator.Invoke, Elementwise.Map<TanhOperator>);
            MapMatches<SoftplusOperator>(x, SoftplusOperator.Invoke, Elementwise.Map<SoftplusOperator>);
            MapMatches<ReLUOperator>(x, ReLUOperator.Invoke, Elementwise.Map<ReLUOperator>);
            MapMatches<GeluOperator>(x, GeluOperator.Invoke, Elementwise.MapAt<GeluOperator>);
            MapMatches<SiLUOperator>(x, SiLUOperator.Invoke, Elementwise.MapAt<SiLUOperator>);
        }
    }

    private delegate void MapFn(ReadOnlySpan<float> x, Span<float> y);

    // Scalar and vector bodies differ by rounding (Tanh's scalar body is MathF.Tanh): 32 ε relative is far below any
    // indexing mistake, which would put an unrelated value in the slot.
    private static void MapMatches<T>(float[] x, Func<float, float> scalar, MapFn map)
    {
        var y = new float[x.Length];
        map(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double e = scalar(x[i]);
            Assert.True(Math.Abs(y[i] - e) <= Rel(32, e), string.Create(CultureInfo.InvariantCulture, $"{typeof(T).Name} Map n={x.Length} [{i}]: x = {x[i]:R}, got {y[i]:R}, scalar {e:R}"));
        }
        // In place gives the same (the overlapping last vector is read before anything is stored).
        float[] inPlace = (float[])x.Clone();
        map(inPlace, inPlace);
        Assert.Equal(y, inPlace);
    }

    [Fact]
    public void Elementwise_map_rejects_unequal_or_overlapping_spans()
    {
        var x = new float[10];
        var e = Assert.Throws<ArgumentException>(() => Elementwise.Map<SigmoidOperator>(x, new float[9]));
        Assert.Equal("y", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Elementwise.MapAt<GeluOperator>(x, new float[11]));
        Assert.Equal("y", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Elementwise.Map<TanhOperator>(x.AsSpan(0, 8), x.AsSpan(1, 8)));
        Assert.Equal("y", e.ParamName);
    }
}
