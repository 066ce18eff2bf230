using System;
using System.Runtime.Intrinsics;
using KernelGen.Ops;
using Xunit;

namespace KernelGen.Tests;

/// <summary>SpecialMath.Exp (the activations' eˣ) at every vector width against double-precision Math.Exp.</summary>
public class ExpTests
{
    /// <summary>|got − want| in units of the spacing of floats at the correctly rounded result (the spacing below it where
    /// want lies below it: the smaller one at a power of two).</summary>
    private static double Ulps(float got, double want)
    {
        float w = (float)want;
        double spacing = Math.Abs(want) >= Math.Abs(w) ? MathF.BitIncrement(MathF.Abs(w)) - MathF.Abs(w) : MathF.Abs(w) - MathF.BitDecrement(MathF.Abs(w));
        return Math.Abs(got - want) / Math.Max(spacing, float.Epsilon);
    }

    /// <summary>eˣ of 16 different values at each width (each lane its own input: a mix-up between lanes shows), lane by lane.</summary>
    private static void Each(float[] x, Action<float, float, float, float> check)
    {
        var a = new float[16];
        var b = new float[16];
        var c = new float[16];
        for (int i = 0; i < 16; i += 4) SpecialMath.Exp(Vector128.Create(x, i)).CopyTo(a, i);
        for (int i = 0; i < 16; i += 8) SpecialMath.Exp(Vector256.Create(x, i)).CopyTo(b, i);
        SpecialMath.Exp(Vector512.Create(x)).CopyTo(c);
        for (int i = 0; i < 16; i++) check(x[i], a[i], b[i], c[i]);
    }

    [Fact]
    public void Within_two_ulp_of_the_correctly_rounded_result_wherever_it_is_a_normal_float()
    {
        var r = new Random(7);
        double worst = 0;
        float worstX = 0;
        var x = new float[16];
        for (int k = 0; k < 40_000; k++)
        {
            for (int i = 0; i < 16; i++)
                x[i] = (k % 3) switch
                {
                    0 => (float)(r.NextDouble() * (88.7228 + 87.3365) - 87.3365), // every normal result, up to the largest finite one
                    1 => (float)(r.NextDouble() * 20 - 10), // where the activations live
                    _ => (float)(88 + r.NextDouble() * 0.7228), // the top, where 2ⁿ needs both scalings at their largest
                };
            Each(x, (xi, a, b, c) =>
            {
                Assert.True(BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) && BitConverter.SingleToInt32Bits(b) == BitConverter.SingleToInt32Bits(c),
                    $"widths differ at x = {xi:R}: {a:R}, {b:R}, {c:R}");
                double u = Ulps(a, Math.Exp(xi));
                if (u > worst) (worst, worstX) = (u, xi);
            });
        }
        Assert.True(worst <= 2, $"worst {worst:F2} ulp at x = {worstX:R}");
    }

    [Fact]
    public void Special_values_at_every_width()
    {
        float[] x = { 0f, -0f, float.PositiveInfinity, 89f, 1e30f, float.NegativeInfinity, -104f, -1e30f, float.NaN, -float.NaN, 88.72283f, 88.7229f, 1f, -1f, 0.5f, -87f };
        float[] want = { 1f, 1f, float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity, 0f, 0f, 0f, float.NaN, float.NaN, (float)Math.Exp(88.72283f), float.PositiveInfinity, (float)Math.E, (float)(1 / Math.E), (float)Math.Exp(0.5), (float)Math.Exp(-87) };
        int lane = 0;
        Each(x, (xi, a, b, c) =>
        {
            float w = want[lane++];
            foreach (float got in new[] { a, b, c })
            {
                if (float.IsNaN(w)) Assert.True(float.IsNaN(got), $"exp({xi:R}) = {got:R}, expected NaN");
                else if (float.IsInfinity(w) || w == 0f || w == 1f) Assert.Equal(w, got);
                else Assert.True(Ulps(got, Math.Exp(xi)) <= 2, $"exp({xi:R}) = {got:R}, expected ≈ {Math.Exp(xi):R}");
            }
        });
        Assert.True(float.IsFinite((float)Math.Exp(88.72283f)), "88.72283 has the largest finite result");
    }

    [Fact]
    public void Subnormal_results_are_within_one_subnormal_step_at_every_width()
    {
        var x = new float[16];
        for (float start = -103.9f; start < -87.4f; start += 16 * 0.07f)
        {
            for (int i = 0; i < 16; i++) x[i] = start + i * 0.07f;
            Each(x, (xi, a, b, c) =>
            {
                double want = Math.Exp(xi);
                foreach (float got in new[] { a, b, c })
                    Assert.True(Math.Abs(got - want) <= float.Epsilon + 3e-7 * want, $"exp({xi:R}) = {got:R}, expected {want:R}");
            });
        }
    }
}
