using System;
using System.Linq;
using KernelGen.Data;
using KernelGen.Training;
using Xunit;

namespace KernelGen.Tests;

public class NetworkBehaviourTests
{
    [Fact]
    public void DigitsNet_reaches_95_percent_validation_accuracy_within_30_epochs()
    {
        (Dataset train, Dataset validation) = Digits.Load().Split(0.2, seed: 7);
        using var net = new DigitsNet();
        var trainer = new Trainer<DigitsNet>(net, train, seed: 7);
        double best = 0;
        for (int epoch = 0; epoch < 30 && best < 0.95; epoch++) best = Math.Max(best, trainer.RunEpoch(validation).ValidationAccuracy);
        Assert.True(best >= 0.95, $"best validation accuracy {best:P2} < 95 %");
    }

    [Fact]
    public void DigitsNet_name_and_shapes_are_public_constants()
    {
        Assert.Equal(64, DigitsNet.InputSize);
        Assert.Equal(10, DigitsNet.OutputSize);
        Assert.Equal(32, DigitsNet.BatchSize);
        Assert.Equal(64 * 100 + 100 + 100 * 10 + 10, DigitsNet.ParameterCount);
    }
}

/// <summary>
/// Allocation is measured with GC.GetAllocatedBytesForCurrentThread. A GC triggered by another thread retires
/// this thread's allocation context and the unused rest of it (up to 8 KB) shows up as "allocated", so these
/// tests run alone (no parallel test allocates meanwhile) and collect once before the baseline.
/// </summary>
[CollectionDefinition("Allocation", DisableParallelization = true)]
public class AllocationCollection;

[Collection("Allocation")]
public class AllocationTests
{
    [Theory]
    [MemberData(nameof(Networks.AllWithWidths), MemberType = typeof(Networks))]
    public void TrainStep_Evaluate_and_Predict_allocate_nothing(string network, Isa isa)
    {
        Networks.Case c = Networks.Get(network);
        using INetwork net = c.Create(isa);
        var r = new Random(5);
        // The 784-input network runs 16-row batches so the scalar body's thousand steps stay in seconds.
        int rows = c.Info.ParameterCount > 100_000 ? 16 : c.Info.BatchSize;
        float[] inputs = Enumerable.Range(0, rows * c.Info.Inputs).Select(_ => (float)Values.Normal(r) * 0.1f).ToArray();
        int[] labels = Enumerable.Range(0, rows).Select(_ => r.Next(c.Info.Outputs)).ToArray();
        float[] targets = new float[rows * c.Info.Outputs];
        float[] outputs = new float[rows * c.Info.Outputs];
        void Step()
        {
            if (net is IClassifier cl)
            {
                cl.TrainStep(inputs, labels);
                cl.Evaluate(inputs, labels);
            }
            else
            {
                ((IRegressor)net).TrainStep(inputs, targets);
                ((IRegressor)net).Evaluate(inputs, targets);
            }
            net.Predict(inputs, outputs);
        }
        for (int i = 0; i < 50; i++) Step(); // warm-up: tiering, statics
        GC.Collect();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}

public class NetworkStateTests
{

    [Fact]
    public void Same_seed_gives_identical_parameters_and_another_seed_differs()
    {
        using var a = new DigitsNet();
        using var b = new DigitsNet(seed: 7);
        using var c = new DigitsNet(seed: 8);
        Assert.True(a.Parameters.SequenceEqual(b.Parameters));
        Assert.False(a.Parameters.SequenceEqual(c.Parameters));
        // Biases start at zero, weights do not.
        LayerInfo l0 = DigitsNet.Info.Layers[0];
        Assert.All(a.Parameters.Slice(l0.BiasOffset, l0.Outputs).ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(a.Parameters.Slice(l0.WeightOffset, 100).ToArray(), v => v != 0f);
    }

    [Fact]
    public void Widths_train_to_nearly_the_same_weights()
    {
        (Dataset train, _) = Digits.Load().Split(0.2, seed: 7);
        float[][] results = Networks.Widths.Select(isa =>
        {
            using var net = new DigitsNet(isa: isa);
            var trainer = new Trainer<DigitsNet>(net, train, seed: 3);
            trainer.TrainEpoch();
            return net.Parameters.ToArray();
        }).ToArray();
        for (int i = 1; i < results.Length; i++)
            Oracle.Close(results[i], results[0].Select(v => (double)v).ToArray(), $"{Networks.Widths[i]} vs scalar after one epoch");
    }

    [Fact]
    public void Gradients_hold_the_gradient_at_the_parameters_before_the_update()
    {
        var r = new Random(9);
        using var net = new DigitsNet();
        float[] inputs = Enumerable.Range(0, 8 * 64).Select(_ => (float)r.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, 8).Select(_ => r.Next(10)).ToArray();
        float[] before = net.Parameters.ToArray();
        float lossOnly = net.ComputeGradients(inputs, labels);
        float[] g = net.Gradients.ToArray();
        float loss = net.TrainStep(inputs, labels);
        Assert.Equal(lossOnly, loss);
        Assert.True(g.AsSpan().SequenceEqual(net.Gradients));
        Assert.Equal(1, net.Step);
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i] - 0.05f * g[i], net.Parameters[i], 1e-6f);
    }

    [Fact]
    public void Evaluate_reports_loss_and_accuracy_over_any_number_of_rows()
    {
        Dataset digits = Digits.Load();
        using var net = new DigitsNet();
        Evaluation all = net.Evaluate(digits.Features, digits.Labels);
        Assert.Equal(digits.Count, all.Count);
        var probabilities = new float[digits.Count * 10];
        net.Predict(digits.Features, probabilities);
        int correct = 0;
        double loss = 0;
        for (int i = 0; i < digits.Count; i++)
        {
            ReadOnlySpan<float> row = probabilities.AsSpan(i * 10, 10);
            int arg = 0;
            for (int j = 1; j < 10; j++) if (row[j] > row[arg]) arg = j;
            if (arg == digits.Labels[i]) correct++;
            loss -= Math.Log(row[digits.Labels[i]]);
        }
        Assert.Equal(correct, all.Correct);
        Assert.Equal(loss / digits.Count, all.MeanLoss, 4);
    }

    [Fact]
    public void Dispose_frees_the_blocks_and_later_use_throws()
    {
        var net = new DigitsNet();
        net.Dispose();
        Assert.Throws<ObjectDisposedException>(() => net.Parameters.Length);
        Assert.Throws<ObjectDisposedException>(() => net.Predict(new float[64], new float[10]));
        net.Dispose(); // twice is fine
    }

    [Fact]
    public void Unknown_isa_value_is_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DigitsNet(isa: (Isa)42));
        Assert.Equal("isa", e.ParamName);
    }
}
