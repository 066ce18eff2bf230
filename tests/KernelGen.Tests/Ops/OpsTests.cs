using System;
using System.Linq;
using System.Runtime.Intrinsics;
using KernelGen.Ops;
using KernelGen.Reference;
using KernelGen.Runtime;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Each activation and its derivative, at every width, vs the double formulas (seed deck 000,
/// "Activation functions"), including saturation (±20, ±100) where NaN or ∞ must not appear.</summary>
public class OpsTests
{
    private static readonly float[] Points = new float[] { 0f, -0f, 1e-30f, -1e-30f, 1e-5f, -1e-5f, 0.3f, -0.3f, 0.6249f, 0.625f, -0.7f, 1f, -1f, 2.5f, -3f, 8f, -9f, 20f, -20f, 88f, -88f, 100f, -100f }
        .Concat(Enumerable.Range(0, 200).Select(i => (float)(Math.Sin(i * 12.9898) * 12))).ToArray();

    private static void Check<TOp>(Act act, double tolerance) where TOp : IActivationOperator
    {
        foreach (float x in Points)
        {
            double expected = ReferenceLayers.Activate(act, x);
            float y = TOp.Invoke(x);
            float y128 = TOp.Invoke(Vector128.Create(x)).GetElement(1);
            float y256 = TOp.Invoke(Vector256.Create(x)).GetElement(5);
            float y512 = TOp.Invoke(Vector512.Create(x)).GetElement(13);
            foreach ((float v, string w) in new[] { (y, "scalar"), (y128, "V128"), (y256, "V256"), (y512, "V512") })
            {
                Assert.True(float.IsFinite(v), $"{act}({x}) = {v} at {w}");
                Assert.True(Math.Abs(v - expected) <= tolerance * Math.Max(1e-30, Math.Abs(expected)) + 1e-37, $"{act}({x}) = {v} at {w}, expected {expected}");
            }
            double d = ReferenceLayers.Derivative(act, x);
            float dy = (float)expected;
            foreach ((float v, string w) in new[]
            {
                (TOp.Derivative(dy), "scalar"), (TOp.Derivative(Vector128.Create(dy)).GetElement(0), "V128"),
                (TOp.Derivative(Vector256.Create(dy)).GetElement(7), "V256"), (TOp.Derivative(Vector512.Create(dy)).GetElement(15), "V512"),
            })
            {
                Assert.True(float.IsFinite(v), $"{act}′({x}) = {v} at {w}");
                // Derivatives are taken from the float output, so their error is the output's rounding: absolute 1e-6.
                Assert.True(Math.Abs(v - d) <= 1e-6 + 1e-6 * Math.Abs(d), $"{act}′({x}) = {v} at {w}, expected {d}");
            }
        }
    }

    [Fact] public void Identity() => Check<IdentityOperator>(Act.Identity, 0);
    [Fact] public void ReLU() => Check<ReLUOperator>(Act.ReLU, 0);
    // The vector exp (SpecialMath.Exp) is within 2 ulp; sigmoid and tanh inherit ~1e-6 relative.
    [Fact] public void Sigmoid() => Check<SigmoidOperator>(Act.Sigmoid, 2e-6);
    [Fact] public void Tanh() => Check<TanhOperator>(Act.Tanh, 2e-6);

    [Theory]
    [InlineData(Init.XavierUniform)]
    [InlineData(Init.XavierNormal)]
    [InlineData(Init.HeUniform)]
    [InlineData(Init.HeNormal)]
    [InlineData(Init.LeCunNormal)]
    [InlineData(Init.SmallNormal)]
    public void Initialiser_variance_is_within_statistical_bounds_of_the_formula(Init init)
    {
        const int fanIn = 300, fanOut = 100, n = fanIn * fanOut;
        double expected = init switch
        {
            Init.XavierUniform or Init.XavierNormal => 2.0 / (fanIn + fanOut),
            Init.HeUniform or Init.HeNormal => 2.0 / fanIn,
            Init.LeCunNormal => 1.0 / fanIn,
            _ => 1e-4,
        };
        var w = new float[n];
        var rng = new Rng(1);
        Initializers.Fill(w, init, fanIn, fanOut, ref rng);
        double mean = w.Average(v => (double)v);
        double variance = w.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        // Sample variance of n draws has relative standard deviation ≤ √(2/(n−1)) (normal) — allow 5σ.
        double sigma = Math.Sqrt(2.0 / (n - 1));
        Assert.True(Math.Abs(variance / expected - 1) < 5 * sigma, $"{init}: variance {variance:E4}, formula {expected:E4}");
        Assert.True(Math.Abs(mean) < 5 * Math.Sqrt(expected / n), $"{init}: mean {mean:E3}");
    }
}
