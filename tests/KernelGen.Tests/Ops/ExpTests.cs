using System;
using System.Runtime.Intrinsics;
using KernelGen.Ops;
using Xunit;

namespace KernelGen.Tests;

/// <summary>SpecialMath.Exp (the activations' eˣ) at every vector width against double-precision Math.Exp.</summary>
public class ExpTests
{
    /// <summary>Ulps between a float and the double it approximates, in units of the float's own spacing there.</summary>
    private static double Ulps(float got, double want)
    {
        float w = (float)want;
        double ulp = Math.Max(MathF.BitIncrement(MathF.Abs(w)) - MathF.Abs(w), float.Epsilon);
        return Math.Abs(got - want) / ulp;
    }

    private static (float V128, float V256, float V512) At(float x)
        => (SpecialMath.Exp(Vector128.Create(x)).GetElement(1), SpecialMath.Exp(Vector256.Create(x)).GetElement(5), SpecialMath.Exp(Vector512.Create(x)).GetElement(13));

    [Fact]
    public void Within_two_ulp_wherever_the_result_is_a_normal_float()
    {
        var r = new Random(7);
        double worst = 0;
        float worstX = 0;
        for (int i = 0; i < 400_000; i++)
        {
            float x = i < 200_000 ? (float)(r.NextDouble() * 175 - 87) : (float)(r.NextDouble() * 20 - 10); // the whole normal range, then where the activations live
            double want = Math.Exp(x);
            var (a, b, c) = At(x);
            Assert.True(BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) && BitConverter.SingleToInt32Bits(b) == BitConverter.SingleToInt32Bits(c), $"widths differ at x = {x:R}");
            double u = Ulps(a, want);
            if (u > worst) (worst, worstX) = (u, x);
        }
        Assert.True(worst <= 2, $"worst {worst:F2} ulp at x = {worstX:R}");
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    [InlineData(89f, float.PositiveInfinity)]
    [InlineData(1e30f, float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(-104f, 0f)]
    [InlineData(-1e30f, 0f)]
    public void Special_values(float x, float expected)
    {
        var (a, b, c) = At(x);
        Assert.Equal(expected, a);
        Assert.Equal(expected, b);
        Assert.Equal(expected, c);
    }

    [Fact]
    public void NaN_gives_NaN_and_subnormal_results_stay_close()
    {
        Assert.True(float.IsNaN(At(float.NaN).V512));
        Assert.True(float.IsNaN(At(float.NaN).V128));
        for (float x = -103.5f; x < -87.5f; x += 0.37f) // subnormal results: within 2 of the smallest subnormal's spacing, never above the true value's double
            Assert.True(Math.Abs(At(x).V256 - Math.Exp(x)) <= 2 * float.Epsilon + 4e-7 * Math.Exp(x), $"x = {x:R}: {At(x).V256:R} vs {Math.Exp(x):R}");
    }
}
