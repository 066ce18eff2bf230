using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using KernelGen.Runtime;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// WeightPacking.Pack, which the training forward runs after every update and Predict after every change: the packed
/// block equals its definition — bias padded with zeros to a multiple of 32, then per panel of <c>panel</c> outputs,
/// for every input k, W[o, k] of the panel's outputs side by side, zeros past the last output — for random shapes,
/// values and every panel width. Its vector paths (AVX-512 16×16, AVX 8×8, SSE 4×4 register transposes) run where the
/// CPU has them; CI reruns this class with each instruction set switched off, which takes the other paths.
/// </summary>
public class PackingOpsTests
{
    private static float[] Definition(float[] w, float[] b, int inputs, int outputs, int panel)
    {
        int padded = (outputs + 31) / 32 * 32, panels = (outputs + panel - 1) / panel;
        var packed = new float[padded + panels * panel * inputs];
        for (int o = 0; o < outputs && b.Length > 0; o++) packed[o] = b[o];
        for (int p = 0; p < panels; p++)
            for (int k = 0; k < inputs; k++)
                for (int j = 0; j < panel; j++)
                {
                    int o = p * panel + j;
                    packed[padded + (p * inputs + k) * panel + j] = o < outputs ? w[o * inputs + k] : 0f;
                }
        return packed;
    }

    [Fact]
    public void Packed_block_equals_its_definition_for_random_shapes_and_every_panel()
    {
        Gen<(int Inputs, int Outputs, int Panel, bool Bias, int Seed)> gen =
            from inputs in Gen.OneOf(Gen.Choose(1, 40), Gen.Choose(41, 300))
            from outputs in Gen.OneOf(Gen.Choose(1, 40), Gen.Choose(41, 130))
            from panel in Gen.Elements(8, 16, 32)
            from bias in Gen.Elements(true, false)
            from seed in Gen.Choose(0, int.MaxValue)
            select (inputs, outputs, panel, bias, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var r = new Random(t.Seed);
            float[] w = Enumerable.Range(0, t.Inputs * t.Outputs).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
            float[] b = t.Bias ? Enumerable.Range(0, t.Outputs).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray() : Array.Empty<float>();
            float[] expected = Definition(w, b, t.Inputs, t.Outputs, t.Panel);
            // Whatever was in the block before (NaN here) must be overwritten everywhere the kernels read.
            float[] packed = Enumerable.Repeat(float.NaN, expected.Length + 5).ToArray();
            WeightPacking.Pack(w, b, t.Outputs, t.Panel, packed);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(packed[i]) == BitConverter.SingleToInt32Bits(expected[i]),
                    $"{t.Inputs}×{t.Outputs} panel {t.Panel}: packed[{i}] = {packed[i]}, expected {expected[i]}");
            Assert.True(float.IsNaN(packed[expected.Length]), "wrote past the block");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    /// <summary>A repack shared out by panels (PackBias on part 0, PackPanels per part, as the threaded RepackTraining) writes
    /// the very block Pack writes, for any split.</summary>
    [Fact]
    public void Packing_shared_out_by_panels_equals_packing_whole()
    {
        Gen<(int Inputs, int Outputs, int Panel, bool Bias, int Parts, int Seed)> gen =
            from inputs in Gen.Choose(1, 200)
            from outputs in Gen.Choose(1, 130)
            from panel in Gen.Elements(8, 16, 32)
            from bias in Gen.Elements(true, false)
            from parts in Gen.Choose(1, 5)
            from seed in Gen.Choose(0, int.MaxValue)
            select (inputs, outputs, panel, bias, parts, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var r = new Random(t.Seed);
            float[] w = Enumerable.Range(0, t.Inputs * t.Outputs).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
            float[] b = t.Bias ? Enumerable.Range(0, t.Outputs).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray() : Array.Empty<float>();
            int length = Definition(w, b, t.Inputs, t.Outputs, t.Panel).Length, panels = (t.Outputs + t.Panel - 1) / t.Panel;
            var whole = new float[length];
            WeightPacking.Pack(w, b, t.Outputs, t.Panel, whole);
            float[] shared = Enumerable.Repeat(float.NaN, length).ToArray();
            WeightPacking.PackBias(b, t.Outputs, shared);
            for (int part = 0; part < t.Parts; part++)
            {
                (int first, int end) = WorkerPool.Range(panels, part, t.Parts);
                if (first < end) WeightPacking.PackPanels(w, t.Outputs, t.Panel, shared, first, end);
            }
            Assert.Equal(whole.Select(BitConverter.SingleToInt32Bits), shared.Select(BitConverter.SingleToInt32Bits));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Fact]
    public void The_shapes_of_the_sample_networks_pack_exactly()
    {
        foreach ((int inputs, int outputs) in new[] { (784, 256), (256, 128), (128, 10), (64, 100), (100, 10) })
            foreach (int panel in new[] { 8, 16, 32 })
            {
                var r = new Random(inputs * 31 + outputs);
                float[] w = Enumerable.Range(0, inputs * outputs).Select(_ => (float)r.NextDouble()).ToArray();
                float[] b = Enumerable.Range(0, outputs).Select(_ => (float)r.NextDouble()).ToArray();
                float[] expected = Definition(w, b, inputs, outputs, panel);
                var packed = new float[expected.Length];
                WeightPacking.Pack(w, b, outputs, panel, packed);
                Assert.Equal(expected, packed);
            }
    }

    [Fact]
    public void A_block_that_does_not_describe_the_layer_is_refused()
    {
        var w = new float[12];
        Assert.Throws<ArgumentException>("weights", () => WeightPacking.Pack(w, default, 5, 32, new float[1000]));
        Assert.Throws<ArgumentException>("weights", () => WeightPacking.Pack(w, default, 3, 12, new float[1000]));
        Assert.Throws<ArgumentException>("packed", () => WeightPacking.Pack(w, default, 3, 32, new float[32 + 31]));
        Assert.Throws<ArgumentOutOfRangeException>("firstPanel", () => WeightPacking.PackPanels(w, 3, 32, new float[1000], 0, 2));
        Assert.Throws<ArgumentException>("bias", () => WeightPacking.PackBias(new float[2], 3, new float[32]));
        Assert.Throws<ArgumentException>("packed", () => WeightPacking.PackBias(default, 3, new float[31]));
    }
}
