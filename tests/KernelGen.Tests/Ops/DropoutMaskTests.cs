using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;
using KernelGen.Ops;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Inverted dropout (seed deck 000, /work/shared/seeds/000_*.txt, "Dropout": keep with probability 1 − p, scale kept
/// values by 1/(1 − p)) with masks from <see cref="DropoutMask"/>. Statistical checks use 1M draws and a 5σ bound
/// of the binomial (a correct generator fails one about once in 1.7 million runs); the rest are exact.
/// </summary>
public class DropoutMaskTests
{
    private const int N = 1 << 20;

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.2f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void Keep_rate_is_one_minus_p_within_5_sigma(float rate)
    {
        uint threshold = DropoutMask.Threshold(rate), key = DropoutMask.Key(42, 7, 1);
        double q = threshold / 16777216.0;
        Assert.True(Math.Abs(q - (1 - (double)rate)) <= 0.5 / 16777216, "threshold = round((1 − p)·2²⁴)");
        int kept = 0;
        for (int i = 0; i < N; i++) if (DropoutMask.Keep(i, key, threshold)) kept++;
        double sigma = Math.Sqrt(N * q * (1 - q));
        Assert.True(Math.Abs(kept - N * q) <= 5 * sigma, Inv($"p = {rate}: kept {kept} of {N}, expected {N * q:F0} ± {5 * sigma:F0} (5σ)"));
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.2f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void Inverted_dropout_preserves_the_mean_within_5_sigma(float rate)
    {
        uint threshold = DropoutMask.Threshold(rate), key = DropoutMask.Key(3, 123_456_789_012, 4);
        float scale = 1f / (1f - rate);
        double q = threshold / 16777216.0, sum = 0;
        for (int i = 0; i < N; i++) sum += DropoutMask.Apply(1f, i, key, threshold, scale);
        // E[Apply(1)] = q·scale ≈ 1; each draw is scale·Bernoulli(q), so the mean's σ is scale·√(q(1 − q)/N).
        double mean = sum / N, sigma = scale * Math.Sqrt(q * (1 - q) / N);
        Assert.True(Math.Abs(mean - 1) <= 5 * sigma + Math.Abs(q * scale - 1), Inv($"p = {rate}: mean {mean:F5}, 1 ± {5 * sigma:F5} (5σ)"));
    }

    /// <summary>Lane l of a vector Apply at <c>index</c> equals the scalar Apply at <c>index + l</c>, bit for bit, at every width.</summary>
    [Fact]
    public void Vector_lanes_equal_scalar_decisions()
    {
        Gen<(int Seed, int Index, float Rate)> gen =
            from seed in Gen.Choose(0, int.MaxValue)
            from index in Gen.OneOf(Gen.Choose(0, 1 << 20), Gen.Choose(int.MaxValue - 64, int.MaxValue), Gen.Choose(-2_000_000_000, 2_000_000_000))
            from rate in Gen.Elements(0f, 0.1f, 0.2f, 0.5f, 0.9f, 1f)
            select (seed, index, rate);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var r = new Random(t.Seed);
            uint key = DropoutMask.Key(t.Seed, r.NextInt64(), r.Next(64)), threshold = DropoutMask.Threshold(t.Rate);
            float scale = t.Rate < 1 ? 1f / (1f - t.Rate) : 0f;
            var x = new float[64];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 20 - 10);
            for (int block = 0; block < 4; block++)
            {
                int index = unchecked(t.Index + 16 * block);
                Vector128<float> v128 = DropoutMask.Apply(Vector128.Create(x, 16 * block), index, key, threshold, scale);
                Vector256<float> v256 = DropoutMask.Apply(Vector256.Create(x, 16 * block), index, key, threshold, scale);
                Vector512<float> v512 = DropoutMask.Apply(Vector512.Create(x, 16 * block), index, key, threshold, scale);
                for (int l = 0; l < 16; l++)
                {
                    int at = unchecked(index + l);
                    float s = DropoutMask.Apply(x[16 * block + l], at, key, threshold, scale);
                    Assert.Equal(DropoutMask.Keep(at, key, threshold) ? x[16 * block + l] * scale : 0f, s);
                    if (l < 4) Assert.Equal(BitConverter.SingleToInt32Bits(s), BitConverter.SingleToInt32Bits(v128.GetElement(l)));
                    if (l < 8) Assert.Equal(BitConverter.SingleToInt32Bits(s), BitConverter.SingleToInt32Bits(v256.GetElement(l)));
                    Assert.Equal(BitConverter.SingleToInt32Bits(s), BitConverter.SingleToInt32Bits(v512.GetElement(l)));
                }
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Same_key_gives_the_same_mask()
    {
        uint threshold = DropoutMask.Threshold(0.5f);
        for (int i = 0; i < 100_000; i++)
            Assert.Equal(DropoutMask.Keep(i, DropoutMask.Key(9, 1000, 2), threshold), DropoutMask.Keep(i, DropoutMask.Key(9, 1000, 2), threshold));
    }

    /// <summary>
    /// Masks of different steps (and layers, seeds) are independent: the fraction of elements on which two masks agree is
    /// q² + (1 − q)², q the keep probability, within 5σ; also for neighbouring elements of one mask.
    /// </summary>
    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.9f)]
    public void Different_step_layer_or_seed_gives_an_independent_mask(float rate)
    {
        uint threshold = DropoutMask.Threshold(rate);
        double q = threshold / 16777216.0, p = q * q + (1 - q) * (1 - q), sigma = Math.Sqrt(p * (1 - p) / N);
        uint a = DropoutMask.Key(1, 500, 3);
        foreach ((string what, uint b) in new[]
        {
            ("next step", DropoutMask.Key(1, 501, 3)), ("step + 2³²", DropoutMask.Key(1, 500 + (1L << 32), 3)),
            ("next layer", DropoutMask.Key(1, 500, 4)), ("next seed", DropoutMask.Key(2, 500, 3)),
        })
        {
            Assert.NotEqual(a, b);
            int agree = 0;
            for (int i = 0; i < N; i++) if (DropoutMask.Keep(i, a, threshold) == DropoutMask.Keep(i, b, threshold)) agree++;
            Assert.True(Math.Abs((double)agree / N - p) <= 5 * sigma, Inv($"{what}, p = {rate}: masks agree on {(double)agree / N:F5}, independent ones {p:F5} ± {5 * sigma:F5}"));
        }
        int neighbours = 0;
        for (int i = 0; i < N; i++) if (DropoutMask.Keep(i, a, threshold) == DropoutMask.Keep(i + 1, a, threshold)) neighbours++;
        Assert.True(Math.Abs((double)neighbours / N - p) <= 5 * sigma, Inv($"neighbours agree on {(double)neighbours / N:F5}, independent ones {p:F5}"));
    }

    /// <summary>The top byte of the hash over 1M counters is uniform: χ² with 255 degrees of freedom below its mean + 5σ (255 + 5·√510).</summary>
    [Fact]
    public void Hash_top_byte_is_uniform()
    {
        var counts = new int[256];
        uint key = DropoutMask.Key(0, 0, 0);
        for (uint i = 0; i < N; i++) counts[DropoutMask.Hash(i, key) >> 24]++;
        double expected = N / 256.0, chi2 = 0;
        foreach (int c in counts) chi2 += (c - expected) * (c - expected) / expected;
        Assert.True(chi2 < 255 + 5 * Math.Sqrt(2 * 255), Inv($"χ² = {chi2:F1}"));
    }

    [Fact]
    public void Rate_0_keeps_everything_and_rate_1_nothing()
    {
        // Hash >> 8 < 2²⁴ always, so rate 0 keeps every element whatever the hash: checked on 1M of them anyway.
        Assert.Equal(1u << 24, DropoutMask.Threshold(0f));
        Assert.Equal(0u, DropoutMask.Threshold(1f));
        uint key = DropoutMask.Key(5, 6, 7);
        for (int i = 0; i < N; i++)
        {
            Assert.True(DropoutMask.Keep(i, key, DropoutMask.Threshold(0f)));
            Assert.False(DropoutMask.Keep(i, key, DropoutMask.Threshold(1f)));
        }
        Vector256<float> v = Vector256.Create(1f, -2f, 3f, float.MaxValue, 5f, 6f, 7f, -8f);
        Assert.Equal(v, DropoutMask.Apply(v, 100, key, DropoutMask.Threshold(0f), 1f));
        Assert.Equal(Vector256<float>.Zero, DropoutMask.Apply(v, 100, key, DropoutMask.Threshold(1f), 2f));
    }

    [Fact]
    public void Threshold_rejects_rates_outside_0_1()
    {
        foreach (float bad in new[] { float.NaN, -0.01f, 1.01f, float.PositiveInfinity })
            Assert.Equal("rate", Assert.Throws<ArgumentOutOfRangeException>(() => DropoutMask.Threshold(bad)).ParamName);
    }

    [Fact]
    public void Keys_of_a_grid_of_seeds_steps_and_layers_are_distinct()
    {
        var seen = new HashSet<uint>();
        foreach (int seed in new[] { 0, 1, -1, 42 })
            for (long step = 0; step < 64; step++)
                for (int layer = 0; layer < 4; layer++)
                    Assert.True(seen.Add(DropoutMask.Key(seed, step, layer)), Inv($"key collision at ({seed}, {step}, {layer})"));
    }
}
