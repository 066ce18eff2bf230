using System;
using System.Linq;
using KernelGen.Runtime;
using Xunit;

namespace KernelGen.Tests;

/// <summary>PReLU first (no gradient below it), so only its α can overflow: a segment TrainStep reads itself, not a dW kernel.</summary>
[Network(Inputs = 4, BatchSize = 16, Seed = 5)]
[Activation(Act.PReLU)]
[Dense(2)]
[MeanSquaredError]
[Sgd(LearningRate = 0.01f)]
public partial class PReLUFirstRegressor;

/// <summary>One dense layer: with W = 0 its gradient is dZᵀ·x whatever x is, so a test can make it as large as it likes.</summary>
[Network(Inputs = 32, BatchSize = 8, Seed = 6)]
[Dense(6)]
[MeanSquaredError]
[Sgd(LearningRate = 0.01f)]
public partial class LinearRegressor;

/// <summary>Two dense layers with 37 units (a tail at every width; 6 + 1 output tiles at Vector512, 4 + 3 below): with W₁ = 0 a test
/// can make one chosen element of dW₁ or db₁ overflow and nothing else.</summary>
[Network(Inputs = 37, BatchSize = 8, Seed = 8)]
[Dense(37)]
[Dense(7)]
[MeanSquaredError]
[Sgd(LearningRate = 0.01f)]
public partial class ProbeNet;

/// <summary>
/// TrainStep with a finite loss whose backward overflows: no update (parameters, optimizer state, step unchanged) and NaN back.
/// The dense dW kernels check the values they store (the fused check); the other gradient segments are read after the backward.
/// </summary>
public class NonFiniteGradientTests
{
    public static TheoryData<string, Isa, int> NetworksWidthsAndThreads()
    {
        var data = new TheoryData<string, Isa, int>();
        foreach (string network in new[] { nameof(ThreadNet), nameof(TallBatchNet) })
            foreach (Isa isa in Networks.Widths)
                foreach (int threads in new[] { 1, 2 })
                    data.Add(network, isa, threads);
        return data;
    }

    private static int Size(TensorInfo t) => t.Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>
    /// The first weights scaled by 1e-41, the second by 1e11 and inputs of 1e30: the forward is the same network up to rounding (the
    /// biases start at 0, and ReLU is homogeneous, tanh linear that close to 0), so the loss is finite, but dW₁ = dZ₁ᵀ·x carries
    /// 1e11 · 1e30 and overflows. ThreadNet: 301 → 257 ReLU → 131 GELU → 7 with coupled decay in the dW kernels, its dW split over
    /// two threads; TallBatchNet: 300 rows, so its first dW kernel runs in blocks of 128 rows (the check on the last block's stores).
    /// </summary>
    [Theory]
    [MemberData(nameof(NetworksWidthsAndThreads))]
    public void A_dense_gradient_that_overflows_makes_no_update(string network, Isa isa, int threads)
    {
        using IClassifier net = network == nameof(ThreadNet) ? new ThreadNet(seed: 4, isa: isa, threads: threads) : new TallBatchNet(seed: 4, isa: isa, threads: threads);
        var r = new Random(3);
        int rows = net.Info.BatchSize, inputs = net.Info.Inputs;
        float[] x = Enumerable.Range(0, rows * inputs).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        int[] y = Enumerable.Range(0, rows).Select(_ => r.Next(net.Info.Outputs)).ToArray();
        net.TrainStep(x, y);
        net.TrainStep(x, y); // optimizer state and step no longer initial
        float[] sane = net.Parameters.ToArray();

        TensorInfo fc1 = net.Info.Tensors.Single(t => t.Name == "fc1.weight"), fc2 = net.Info.Tensors.Single(t => t.Name == "fc2.weight");
        foreach (ref float v in net.Parameters.Slice(fc1.Offset, Size(fc1))) v *= 1e-41f;
        foreach (ref float v in net.Parameters.Slice(fc2.Offset, Size(fc2))) v *= 1e11f;
        float[] huge = x.Select(v => v * 1e30f).ToArray();
        // The premise: a finite loss, and gradients that are not — only in fc1.weight, which only the dW kernel writes.
        Assert.True(float.IsFinite(net.ComputeGradients(huge, y)), "the loss should stay finite");
        Assert.Contains(net.Gradients.Slice(fc1.Offset, Size(fc1)).ToArray(), v => !float.IsFinite(v));
        Assert.All(net.Gradients.Slice(fc1.Offset + Size(fc1)).ToArray(), v => Assert.True(float.IsFinite(v)));

        float[] parameters = net.Parameters.ToArray();
        float[][] state = Enumerable.Range(0, net.Info.OptimizerSlots.Count).Select(s => net.OptimizerState(s).ToArray()).ToArray();
        float loss = net.TrainStep(huge, y);
        Assert.True(float.IsNaN(loss), $"TrainStep returned {loss}");
        Assert.True(parameters.AsSpan().SequenceEqual(net.Parameters), "parameters changed");
        for (int s = 0; s < state.Length; s++) Assert.True(state[s].AsSpan().SequenceEqual(net.OptimizerState(s)), $"optimizer state {s} changed");
        Assert.Equal(2, net.Step);

        // The check starts afresh every step: sane weights train again.
        sane.CopyTo(net.Parameters);
        Assert.True(float.IsFinite(net.TrainStep(x, y)));
        Assert.Equal(3, net.Step);
        Assert.False(sane.AsSpan().SequenceEqual(net.Parameters));
    }

    /// <summary>
    /// PReLUFirstRegressor with α = 1e-37, inputs of −1e20 and the dense weights at 1e17: outputs of order one (a finite loss against
    /// targets of 100), but dα = Σ d·min(x, 0) ≈ 1e17 · 1e20 per element overflows; the dense gradients stay finite.
    /// </summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void A_gradient_outside_the_dense_kernels_that_overflows_makes_no_update(Isa isa)
    {
        using var net = new PReLUFirstRegressor(isa: isa);
        var r = new Random(5);
        float[] x = Enumerable.Range(0, 16 * 4).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        float[] t = Enumerable.Repeat(100f, 16 * 2).ToArray();
        net.TrainStep(x, t);
        TensorInfo alpha = PReLUFirstRegressor.Info.Tensors.Single(v => v.Name == "prelu1.weight");
        TensorInfo w = PReLUFirstRegressor.Info.Tensors.Single(v => v.Name == "fc1.weight");
        int alphas = Size(alpha);
        net.Parameters.Slice(alpha.Offset, alphas).Fill(1e-37f);
        net.Parameters.Slice(w.Offset, 8).Fill(1e17f);
        float[] negative = x.Select(v => -1e20f * (1.5f + v)).ToArray(); // every input negative: PReLU's α·x side
        Assert.True(float.IsFinite(net.ComputeGradients(negative, t)), "the loss should stay finite");
        Assert.Contains(net.Gradients.Slice(alpha.Offset, alphas).ToArray(), v => !float.IsFinite(v));
        Assert.All(net.Gradients.Slice(w.Offset, 8 + 2).ToArray(), v => Assert.True(float.IsFinite(v)));

        float[] parameters = net.Parameters.ToArray();
        Assert.True(float.IsNaN(net.TrainStep(negative, t)));
        Assert.True(parameters.AsSpan().SequenceEqual(net.Parameters), "parameters changed");
        Assert.Equal(1, net.Step);
    }

    /// <summary>
    /// The fused check sums each tile's values, so large finite gradients can overflow it: TrainStep must then read the gradients,
    /// find them finite and update. LinearRegressor with W = b = 0 predicts 0 for any input; inputs equal across a row make every
    /// dW value of an output the same, scaled here to 2.5e38 (finite; two of them overflow a sum).
    /// </summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Large_finite_gradients_still_update(Isa isa)
    {
        using var net = new LinearRegressor(isa: isa);
        net.Parameters.Clear();
        float[] t = Enumerable.Range(0, 8 * 6).Select(i => 1f + i % 3).ToArray();
        float[] ones = Enumerable.Repeat(1f, 8 * 32).ToArray();
        net.ComputeGradients(ones, t);
        float largest = net.Gradients.Slice(0, 6 * 32).ToArray().Max(Math.Abs);
        float[] x = Enumerable.Repeat(2.5e38f / largest, 8 * 32).ToArray();
        Assert.True(float.IsFinite(net.ComputeGradients(x, t)));
        float[] g = net.Gradients.ToArray();
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
        Assert.InRange(g.Max(Math.Abs), 2e38f, 3e38f);

        float loss = net.TrainStep(x, t);
        Assert.True(float.IsFinite(loss), $"TrainStep returned {loss}");
        Assert.Equal(1, net.Step);
        Assert.All(net.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Contains(net.Parameters.ToArray(), v => v != 0f);
    }

    /// <summary>
    /// Every stored position of the dense dW kernel feeds the check: ProbeNet with W₁ = b₁ = 0 and W₂ nonzero only in column o
    /// predicts 0 whatever the inputs (a finite loss against targets of 100), and an input column j of 1e38 makes dW₁[o, j] — that
    /// element alone — overflow. Every (o, j): the output tiles (the last one partial) and every vector of k, the tail included.
    /// </summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Each_weight_gradient_position_is_checked(Isa isa)
    {
        using var net = new ProbeNet(isa: isa);
        TensorInfo w1 = ProbeNet.Info.Tensors.Single(v => v.Name == "fc1.weight"), w2 = ProbeNet.Info.Tensors.Single(v => v.Name == "fc2.weight");
        float[] t = Enumerable.Repeat(100f, 8 * 7).ToArray();
        float[] x = new float[8 * 37];
        for (int o = 0; o < 37; o++)
            for (int j = 0; j < 37; j++)
            {
                net.Parameters.Clear();
                for (int k = 0; k < 7; k++) net.Parameters[w2.Offset + k * 37 + o] = 1f;
                Array.Clear(x);
                for (int r = 0; r < 8; r++) x[r * 37 + j] = 1e38f;
                OnlyThisOneOverflows(net, x, t, w1.Offset + o * 37 + j, $"dW₁[{o}, {j}]");
            }
        Assert.Equal(0, net.Step);
    }

    /// <summary>The same for the bias gradient: inputs 0 (dW₁ = 0), W₂ = 1e37 in column o only, so db₁[o] = Σ_rows dZ₁ overflows alone.</summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Each_bias_gradient_position_is_checked(Isa isa)
    {
        using var net = new ProbeNet(isa: isa);
        TensorInfo b1 = ProbeNet.Info.Tensors.Single(v => v.Name == "fc1.bias"), w2 = ProbeNet.Info.Tensors.Single(v => v.Name == "fc2.weight");
        float[] t = Enumerable.Repeat(100f, 8 * 7).ToArray();
        float[] x = new float[8 * 37];
        for (int o = 0; o < 37; o++)
        {
            net.Parameters.Clear();
            for (int k = 0; k < 7; k++) net.Parameters[w2.Offset + k * 37 + o] = 1e37f;
            OnlyThisOneOverflows(net, x, t, b1.Offset + o, $"db₁[{o}]");
        }
        Assert.Equal(0, net.Step);
    }

    /// <summary>The premise (a finite loss; gradient <paramref name="index"/> alone not finite), then TrainStep: NaN, nothing changed.</summary>
    private static void OnlyThisOneOverflows(ProbeNet net, float[] x, float[] t, int index, string what)
    {
        Assert.True(float.IsFinite(net.ComputeGradients(x, t)), $"{what}: the loss should stay finite");
        Span<float> g = net.Gradients;
        Assert.False(float.IsFinite(g[index]), $"{what} = {g[index]}");
        for (int i = 0; i < g.Length; i++)
            if (i != index) Assert.True(float.IsFinite(g[i]), $"{what}: gradient {i} is {g[i]} too");
        float[] before = net.Parameters.ToArray();
        Assert.True(float.IsNaN(net.TrainStep(x, t)), $"an update from {what} = ±∞");
        Assert.True(before.AsSpan().SequenceEqual(net.Parameters), $"{what}: parameters changed");
    }

    /// <summary>A frozen layer's gradient is dropped by the update: its overflow does not stop the step.</summary>
    [Fact]
    public void A_frozen_layer_that_overflows_does_not_stop_the_step()
    {
        using var net = new ProbeNet();
        TensorInfo w1 = ProbeNet.Info.Tensors.Single(v => v.Name == "fc1.weight"), w2 = ProbeNet.Info.Tensors.Single(v => v.Name == "fc2.weight");
        float[] t = Enumerable.Repeat(100f, 8 * 7).ToArray();
        float[] x = new float[8 * 37];
        net.Parameters.Clear();
        for (int k = 0; k < 7; k++) net.Parameters[w2.Offset + k * 37 + 3] = 1f;
        for (int r = 0; r < 8; r++) x[r * 37 + 5] = 1e38f;
        Assert.True(float.IsNaN(net.TrainStep(x, t)));
        net.SetFrozen(0);
        float[] before = net.Parameters.ToArray();
        Assert.True(float.IsFinite(net.TrainStep(x, t)));
        Assert.Equal(1, net.Step);
        Assert.True(before.AsSpan(w1.Offset, 37 * 37 + 37).SequenceEqual(net.Parameters.Slice(w1.Offset, 37 * 37 + 37)), "the frozen layer moved");
        Assert.All(net.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
    }
}
