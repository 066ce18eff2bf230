using System;
using System.Linq;
using KernelGen;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Identity dense layer into batch norm: the running statistics see the raw data.</summary>
[Network(Inputs = 4, BatchSize = 64, Seed = 9)]
[Dense(4, Bias = false)]
[BatchNorm(Momentum = 0.9f)]
[Dense(2)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 1e-30f)]
public partial class RunningStatsProbe;

/// <summary>Identity dense layer, dropout, then a sum: the output counts the kept values × 1/(1 − p).</summary>
[Network(Inputs = 256, BatchSize = 4, Seed = 10)]
[Dense(256, Bias = false)]
[Dropout(0.25f)]
[Dense(1, Bias = false, Init = Init.Constant, InitValue = 1f)]
[MeanSquaredError]
[Sgd(LearningRate = 1e-30f)]
public partial class DropoutProbe;

/// <summary>
/// Batch norm and dropout as the course notes define them (seed deck 000, "Batch normalization" and "Dropout"):
/// running statistics, train vs inference behaviour, folding, and the masks' statistics inside a network.
/// </summary>
public class TechniqueTests
{
    private static void Identity(Span<float> w, int n)
    {
        w.Clear();
        for (int i = 0; i < n; i++) w[i * n + i] = 1f;
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Running_statistics_converge_to_the_data_mean_and_variance(Isa isa)
    {
        // μ ← m·μ + (1 − m)·μ_B, σ² ← m·σ² + (1 − m)·σ²_B·N/(N−1): after many batches of N(μ_u, s_u²) data the running
        // estimates sit at μ_u, s_u² with EMA noise: sd(μ) ≈ s·√((1 − m)/((1 + m)·N)) = 0.029·s for m = 0.9, N = 64.
        using var net = new RunningStatsProbe(isa: isa);
        Identity(net.Parameters.Slice(RunningStatsProbe.Info.Layers[0].WeightOffset, 16), 4);
        double[] mu = { 3, -1, 0.5, 10 }, sd = { 2, 0.1, 1, 5 };
        var r = new Random(1);
        var x = new float[64 * 4];
        var labels = new int[64];
        for (int step = 0; step < 300; step++)
        {
            for (int i = 0; i < x.Length; i++) x[i] = (float)(mu[i % 4] + sd[i % 4] * Values.Normal(r));
            net.TrainStep(x, labels);
        }
        LayerInfo bn = RunningStatsProbe.Info.Layers[1];
        for (int u = 0; u < 4; u++)
        {
            double mean = net.RunningStatistics[bn.StatisticsOffset + u], variance = net.RunningStatistics[bn.StatisticsOffset + 4 + u];
            Assert.True(Math.Abs(mean - mu[u]) < 5 * 0.029 * sd[u], $"feature {u}: running mean {mean}, data mean {mu[u]}");
            // Variance of the variance estimate: ≈ √2·s²·√((1 − m)/((1 + m)·N)).
            Assert.True(Math.Abs(variance / (sd[u] * sd[u]) - 1) < 5 * 1.42 * 0.029, $"feature {u}: running variance {variance}, data variance {sd[u] * sd[u]}");
        }
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Training_uses_batch_statistics_and_inference_the_running_ones_folded_or_not(Isa isa)
    {
        foreach (Networks.Case c in new[] { Networks.Get("BatchNormNet"), Networks.Get("FashionMlp") }.Where(c => Networks.Selected.Contains(c)))
        {
            using INetwork net = c.Create(isa);
            var cl = (IClassifier)net;
            var r = new Random(3);
            int rows = Math.Min(c.Info.BatchSize, 24);
            float[] inputs = Values.Mixed(r, rows * c.Info.Inputs);
            int[] labels = Enumerable.Range(0, rows).Select(_ => r.Next(c.Info.Outputs)).ToArray();
            Values.Parameters(c.Info, r).CopyTo(net.Parameters);
            Values.Statistics(c.Info, r).CopyTo(net.RunningStatistics);
            net.DropoutEnabled = false;
            float trainLoss = cl.ComputeGradients(inputs, labels);
            net.Training = false;
            float inferenceLoss = cl.ComputeGradients(inputs, labels); // unfolded kernels, running statistics
            double evaluated = cl.Evaluate(inputs, labels).MeanLoss; // folded into the dense weights
            Assert.True(Math.Abs(evaluated - inferenceLoss) <= 1e-4 * Math.Abs(inferenceLoss) + 1e-5, $"{c.Name}: folded {evaluated} vs unfolded {inferenceLoss}");
            Assert.True(Math.Abs(trainLoss - inferenceLoss) > 1e-3 * Math.Abs(inferenceLoss), $"{c.Name}: batch and running statistics gave the same loss {trainLoss}");
            // Predict's probabilities give Evaluate's loss.
            var p = new float[rows * c.Info.Outputs];
            net.Predict(inputs, p);
            double fromPredict = -Enumerable.Range(0, rows).Average(i => Math.Log(p[i * c.Info.Outputs + labels[i]]));
            Assert.True(Math.Abs(fromPredict - evaluated) <= 1e-4 * Math.Abs(evaluated) + 1e-5, $"{c.Name}: Predict gives {fromPredict}, Evaluate {evaluated}");
        }
    }

    [Fact]
    public void Batch_norm_in_training_mode_rejects_one_row_before_any_change()
    {
        using var net = new BatchNormNet();
        float[] before = net.Parameters.ToArray();
        var e = Assert.Throws<ArgumentException>(() => net.TrainStep(new float[13], new[] { 1 }));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("at least 2 rows", e.Message);
        Assert.True(before.AsSpan().SequenceEqual(net.Parameters));
        Assert.Equal(0, net.Step);
        net.Training = false;
        net.ComputeGradients(new float[13], new[] { 1 }); // running statistics: one row is fine
    }

    private static int Kept(DropoutProbe net, float[] x)
    {
        // y = Σ kept xᵢ/(1 − p) with x = 1 and target 0: loss = y², so kept = √loss·(1 − p).
        float loss = net.ComputeGradients(x, new float[1]);
        return (int)Math.Round(Math.Sqrt(loss) * 0.75);
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Dropout_keeps_within_binomial_bounds_reproducibly_and_differently_per_step(Isa isa)
    {
        using var net = new DropoutProbe(isa: isa);
        Identity(net.Parameters.Slice(DropoutProbe.Info.Layers[0].WeightOffset, 256 * 256), 256);
        float[] x = Enumerable.Repeat(1f, 256).ToArray();
        const int steps = 400;
        var counts = new int[steps];
        for (int s = 0; s < steps; s++)
        {
            counts[s] = Kept(net, x);
            Assert.Equal(counts[s], Kept(net, x)); // same (seed, step): same mask
            net.ApplyUpdate(); // next step (the learning rate is 1e-30: the weights stay)
        }
        // Each count ~ Binomial(256, 0.75): mean 192, sd 6.9. Over 400 steps the mean is within 5·6.9/√400.
        double mean = counts.Average();
        Assert.True(Math.Abs(mean - 192) < 5 * 6.93 / Math.Sqrt(steps), $"mean kept {mean}, expected 192");
        Assert.All(counts, k => Assert.InRange(k, 192 - 6 * 7, 192 + 6 * 7));
        Assert.True(counts.Distinct().Count() > 20, "masks must differ across steps");
        // Another seed gives other masks; the same seed the same ones.
        using var same = new DropoutProbe(seed: 10, isa: isa);
        using var other = new DropoutProbe(seed: 11, isa: isa);
        Identity(same.Parameters.Slice(0, 256 * 256), 256);
        Identity(other.Parameters.Slice(0, 256 * 256), 256);
        int[] a = Enumerable.Range(0, 10).Select(_ => { int k = Kept(same, x); same.ApplyUpdate(); return k; }).ToArray();
        int[] b = Enumerable.Range(0, 10).Select(_ => { int k = Kept(other, x); other.ApplyUpdate(); return k; }).ToArray();
        Assert.Equal(counts.Take(10), a);
        Assert.NotEqual(a, b);
        // Off: every value kept, unscaled.
        net.DropoutEnabled = false;
        Assert.Equal(256, (int)Math.Round(Math.Sqrt(net.ComputeGradients(x, new float[1]))));
        net.DropoutEnabled = true;
        net.Training = false;
        Assert.Equal(256, (int)Math.Round(Math.Sqrt(net.ComputeGradients(x, new float[1]))));
    }

    [Fact]
    public void Constant_initialiser_sets_every_weight()
    {
        using var net = new MaxoutNet();
        LayerInfo last = MaxoutNet.Info.Layers.Last(l => l.Kind == LayerKind.Dense);
        Assert.Equal(Init.Constant, last.Init);
        Assert.All(net.Parameters.Slice(last.WeightOffset, last.Inputs * last.Outputs).ToArray(), v => Assert.Equal(0.05f, v));
    }

    [Fact]
    public void Maxout_doubles_the_dense_parameters_and_batch_norm_and_PReLU_start_at_their_defaults()
    {
        // [Dense(12)] [Maxout(3)] on 30 inputs: 3·12 = 36 pre-activations, 36·30 + 36 parameters.
        LayerInfo dense = MaxoutNet.Info.Layers[1], maxout = MaxoutNet.Info.Layers[2];
        Assert.Equal((36, 3), (dense.Outputs, dense.Pieces));
        Assert.Equal((36, 12, 3), (maxout.Inputs, maxout.Outputs, maxout.Pieces));
        Assert.Equal(36 * 30 + 36, dense.ParameterCount);
        using var net = new MaxoutNet();
        LayerInfo bn = MaxoutNet.Info.Layers.Single(l => l.Kind == LayerKind.BatchNorm);
        Assert.All(net.Parameters.Slice(bn.WeightOffset, bn.Outputs).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(net.Parameters.Slice(bn.BiasOffset, bn.Outputs).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(net.RunningStatistics.Slice(bn.StatisticsOffset, bn.Outputs).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(net.RunningStatistics.Slice(bn.StatisticsOffset + bn.Outputs, bn.Outputs).ToArray(), v => Assert.Equal(1f, v));
        using var act = new ActivationNet();
        LayerInfo prelu = ActivationNet.Info.Layers.Single(l => l.Activation == Act.PReLU);
        Assert.Equal(0.25f, prelu.Alpha);
        Assert.All(act.Parameters.Slice(prelu.WeightOffset, prelu.Outputs).ToArray(), v => Assert.Equal(0.25f, v));
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Layer_norm_starts_at_gamma_one_beta_zero_and_is_the_same_in_training_and_inference_even_on_one_row(Isa isa)
    {
        using var net = new LayerNormNet(isa: isa);
        LayerInfo ln = LayerNormNet.Info.Layers[1];
        Assert.Equal(LayerKind.LayerNorm, ln.Kind);
        Assert.Equal(1e-5f, ln.Epsilon);
        Assert.Equal(40, ln.ParameterCount);
        Assert.Equal(0, LayerNormNet.Info.StatisticsCount); // no running statistics
        Assert.Equal(new[] { "fc1.weight", "fc1.bias", "ln1.weight", "ln1.bias", "fc2.weight", "fc2.bias" }, LayerNormNet.Info.Tensors.Select(t => t.Name));
        Assert.All(net.Parameters.Slice(ln.WeightOffset, 20).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(net.Parameters.Slice(ln.BiasOffset, 20).ToArray(), v => Assert.Equal(0f, v));

        var r = new Random(3);
        foreach (int rows in new[] { 1, 7 })
        {
            float[] x = Enumerable.Range(0, rows * 12).Select(_ => (float)Values.Normal(r)).ToArray();
            int[] labels = Enumerable.Range(0, rows).Select(_ => r.Next(5)).ToArray();
            net.Training = true;
            float train = net.ComputeGradients(x, labels);
            float[] gradients = net.Gradients.ToArray();
            net.Training = false;
            Assert.Equal(train, net.ComputeGradients(x, labels));
            Assert.Equal(gradients, net.Gradients.ToArray());
            Assert.Contains(gradients.Skip(ln.WeightOffset).Take(40), g => g != 0);
        }
    }
}
