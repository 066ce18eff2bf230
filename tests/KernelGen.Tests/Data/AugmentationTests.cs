using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using KernelGen.Data;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Data augmentation (deck 001: horizontal flips, random crops / translation, noise): exact pixel moves, seeding, allocation.</summary>
[Collection("Allocation")]
public class AugmentationTests
{
    private static float[] Image(Random r, int n) => Enumerable.Range(0, n).Select(_ => (float)r.NextDouble()).ToArray();

    private static int[] Bits(float[] a) => a.Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void Flip_twice_is_the_identity_bit_exactly_and_flip_mirrors_each_row()
    {
        Prop.ForAll(Gen.Choose(1, 30).ToArbitrary(), Gen.Choose(1, 30).ToArbitrary(), Gen.Choose(0, 100000).ToArbitrary(), (w, h, seed) =>
        {
            float[] img = Values.Mixed(new Random(seed), w * h);
            float[] a = (float[])img.Clone();
            ImageAugmentation.FlipHorizontal(a, w, h);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) Assert.Equal(BitConverter.SingleToInt32Bits(img[y * w + w - 1 - x]), BitConverter.SingleToInt32Bits(a[y * w + x]));
            ImageAugmentation.FlipHorizontal(a, w, h);
            Assert.Equal(Bits(img), Bits(a));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Shift_moves_pixels_by_dx_dy_with_zeros_filled_in()
    {
        Prop.ForAll(Gen.Choose(1, 20).ToArbitrary(), Gen.Choose(1, 20).ToArbitrary(), Gen.Choose(0, 100000).ToArbitrary(), (w, h, seed) =>
        {
            var r = new Random(seed);
            int dx = r.Next(-w - 2, w + 3), dy = r.Next(-h - 2, h + 3); // beyond the image too: all zeros
            float[] img = Image(r, w * h);
            float[] a = (float[])img.Clone();
            ImageAugmentation.Shift(a, w, h, dx, dy, new float[w * h]);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int sx = x - dx, sy = y - dy;
                    float expected = sx >= 0 && sx < w && sy >= 0 && sy < h ? img[sy * w + sx] : 0f;
                    Assert.Equal(expected, a[y * w + x]);
                }
            float[] b = (float[])img.Clone();
            ImageAugmentation.Shift(b, w, h, 0, 0, new float[w * h]);
            Assert.Equal(Bits(img), Bits(b));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Options_that_do_nothing_leave_the_batch_unchanged()
    {
        var aug = new ImageAugmentation(new ImageAugmentationOptions(28, 28, FlipProbability: 0, MaxShift: 0, NoiseStd: 0, Seed: 3));
        float[] batch = Image(new Random(1), 5 * 784), copy = (float[])batch.Clone();
        aug.Apply(batch, 5, epoch: 7, new[] { 0, 1, 2, 3, 4 });
        Assert.Equal(Bits(copy), Bits(batch));
    }

    [Fact]
    public void Same_seed_epoch_and_row_give_the_same_result_whatever_the_batch_and_a_new_epoch_differs()
    {
        var o = new ImageAugmentationOptions(12, 10, FlipProbability: 0.5f, MaxShift: 2, NoiseStd: 0.1f, Seed: 42);
        var a = new ImageAugmentation(o);
        var b = new ImageAugmentation(o);
        float[] images = Image(new Random(2), 6 * 120);
        int[] ids = { 10, 11, 12, 13, 14, 15 };
        float[] x = (float[])images.Clone(), y = (float[])images.Clone();
        a.Apply(x, 6, 3, ids);
        b.Apply(y, 6, 3, ids);
        Assert.Equal(Bits(x), Bits(y));
        // Row 13 alone, outside its batch: same pixels.
        float[] single = images.AsSpan(3 * 120, 120).ToArray();
        b.Apply(single, 3, 13);
        Assert.Equal(Bits(x.AsSpan(3 * 120, 120).ToArray()), Bits(single));
        float[] z = (float[])images.Clone();
        a.Apply(z, 6, 4, ids);
        Assert.NotEqual(Bits(x), Bits(z));
        float[] s = (float[])images.Clone();
        new ImageAugmentation(o with { Seed = 43 }).Apply(s, 6, 3, ids);
        Assert.NotEqual(Bits(x), Bits(s));
    }

    [Fact]
    public void Flip_and_shift_draws_follow_their_options()
    {
        // Flip probability 1: every image mirrored; MaxShift k: every image equals the flipped original shifted by some |dx|, |dy| ≤ k.
        const int w = 9, h = 7, k = 2;
        var aug = new ImageAugmentation(new ImageAugmentationOptions(w, h, FlipProbability: 1, MaxShift: k, Seed: 5));
        var r = new Random(9);
        int flipsSeen = 0;
        var shifts = new System.Collections.Generic.HashSet<(int, int)>();
        for (int id = 0; id < 200; id++)
        {
            float[] img = Enumerable.Range(0, w * h).Select(i => 1f + i).ToArray();
            float[] a = (float[])img.Clone();
            aug.Apply(a, 0, id);
            bool found = false;
            for (int dx = -k; dx <= k && !found; dx++)
                for (int dy = -k; dy <= k && !found; dy++)
                {
                    float[] e = (float[])img.Clone();
                    ImageAugmentation.FlipHorizontal(e, w, h);
                    ImageAugmentation.Shift(e, w, h, dx, dy, new float[w * h]);
                    if (e.SequenceEqual(a)) { found = true; shifts.Add((dx, dy)); flipsSeen++; }
                }
            Assert.True(found, $"row {id}: not a flipped shift within ±{k}");
        }
        Assert.Equal(200, flipsSeen);
        Assert.Equal(25, shifts.Count); // every (dx, dy) in [−2, 2]² occurs in 200 draws
        // Flip probability 0.3: the fraction flipped is within 5σ of 0.3.
        var p = new ImageAugmentation(new ImageAugmentationOptions(w, h, FlipProbability: 0.3f, Seed: 6));
        int flipped = 0;
        const int n = 4000;
        for (int id = 0; id < n; id++)
        {
            float[] img = Enumerable.Range(0, w * h).Select(i => 1f + i).ToArray();
            p.Apply(img, 1, id);
            if (img[0] != 1f) flipped++;
        }
        Assert.True(Math.Abs(flipped - 0.3 * n) < 5 * Math.Sqrt(n * 0.3 * 0.7), $"{flipped} of {n} flipped");
        _ = r;
    }

    [Fact]
    public void Noise_has_the_requested_mean_and_std_and_the_clamp_holds()
    {
        const int w = 28, h = 28, rows = 64;
        const float sigma = 0.2f;
        var aug = new ImageAugmentation(new ImageAugmentationOptions(w, h, FlipProbability: 0, NoiseStd: sigma, Seed: 1));
        float[] batch = new float[rows * w * h];
        batch.AsSpan().Fill(0.5f);
        aug.Apply(batch, rows, 0, Enumerable.Range(0, rows).ToArray());
        int n = batch.Length;
        double mean = batch.Average(v => v - 0.5), var = batch.Average(v => (v - 0.5 - mean) * (v - 0.5 - mean));
        // Mean: standard error σ/√n; variance: standard error σ²·√(2/n) for a normal sample.
        Assert.True(Math.Abs(mean) < 5 * sigma / Math.Sqrt(n), $"noise mean {mean}");
        Assert.True(Math.Abs(var - sigma * sigma) < 5 * sigma * sigma * Math.Sqrt(2.0 / n), $"noise variance {var} vs {sigma * sigma}");
        var clamped = new ImageAugmentation(new ImageAugmentationOptions(w, h, FlipProbability: 0, NoiseStd: 1f, Seed: 1) { ClampMin = 0, ClampMax = 1 });
        float[] c = new float[rows * w * h];
        c.AsSpan().Fill(0.5f);
        clamped.Apply(c, rows, 0, Enumerable.Range(0, rows).ToArray());
        Assert.All(c, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(0f, c);
        Assert.Contains(1f, c);
    }

    [Fact]
    public void Apply_allocates_nothing_over_10000_calls()
    {
        var aug = new ImageAugmentation(new ImageAugmentationOptions(28, 28, FlipProbability: 0.5f, MaxShift: 3, NoiseStd: 0.05f, Seed: 2) { ClampMin = 0, ClampMax = 1 });
        float[] batch = Image(new Random(3), 4 * 784);
        int[] ids = { 5, 6, 7, 8 };
        aug.Apply(batch, 4, 0, ids);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) aug.Apply(batch, 4, i, ids);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Bad_arguments_throw_ArgumentException_before_writing()
    {
        var aug = new ImageAugmentation(new ImageAugmentationOptions(4, 3, MaxShift: 1, NoiseStd: 0.1f));
        float[] batch = Image(new Random(4), 2 * 12), copy = (float[])batch.Clone();
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => aug.Apply(batch, 3, 0, new[] { 0, 1, 2 })).ParamName);
        Assert.Equal("rowIds", Assert.Throws<ArgumentException>(() => aug.Apply(batch, 2, 0, new[] { 0 })).ParamName);
        Assert.Equal("rowCount", Assert.Throws<ArgumentException>(() => aug.Apply(batch, -1, 0, ReadOnlySpan<int>.Empty)).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => aug.Apply(new float[11], 0, 0)).ParamName);
        Assert.Equal(Bits(copy), Bits(batch));
        Assert.Throws<ArgumentException>(() => new ImageAugmentation(new ImageAugmentationOptions(0, 3)));
        Assert.Throws<ArgumentException>(() => new ImageAugmentation(new ImageAugmentationOptions(4, 3, FlipProbability: 1.5f)));
        Assert.Throws<ArgumentException>(() => new ImageAugmentation(new ImageAugmentationOptions(4, 3, MaxShift: 4)));
        Assert.Throws<ArgumentException>(() => new ImageAugmentation(new ImageAugmentationOptions(4, 3, NoiseStd: float.NaN)));
        Assert.Throws<ArgumentException>(() => new ImageAugmentation(new ImageAugmentationOptions(4, 3) { ClampMin = 1, ClampMax = 0 }));
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => ImageAugmentation.FlipHorizontal(new float[5], 2, 2)).ParamName);
        Assert.Equal("scratch", Assert.Throws<ArgumentException>(() => ImageAugmentation.Shift(new float[4], 2, 2, 1, 0, new float[3])).ParamName);
    }
}
