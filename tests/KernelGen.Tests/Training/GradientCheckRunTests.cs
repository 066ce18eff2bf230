using System;
using System.Linq;
using KernelGen.Training;
using Xunit;
using Xunit.Abstractions;

namespace KernelGen.Tests;

/// <summary>The public <see cref="GradientCheck"/> (deck 003 "Checking your derivative computation"): every layer kind of the test
/// networks passes (relative error &lt; 1e-3 per tensor), a corrupted gradient is caught, and the network is left as it was.</summary>
public class GradientCheckRunTests
{
    private readonly ITestOutputHelper _output;

    public GradientCheckRunTests(ITestOutputHelper output) => _output = output;

    private static (float[] Inputs, int[] Labels, float[] Targets) Batch(NetworkInfo info, int rows, int seed)
    {
        var r = new Random(seed);
        float[] inputs = Enumerable.Range(0, rows * info.Inputs).Select(_ => (float)Values.Normal(r)).ToArray();
        int[] labels = Enumerable.Range(0, rows).Select(_ => r.Next(info.Outputs)).ToArray();
        float[] targets = Enumerable.Range(0, rows * info.Outputs).Select(_ => (float)Values.Normal(r)).ToArray();
        return (inputs, labels, targets);
    }

    private static GradientCheckReport Check(INetwork net, int rows, int seed, GradientCheckOptions? options = null)
    {
        var (x, labels, targets) = Batch(net.Info, rows, seed);
        return net is IClassifier c ? GradientCheck.Run(c, x, labels, options) : GradientCheck.Run((IRegressor)net, x, targets, options);
    }

    [Theory]
    [InlineData("FashionMlp", 6, true)]
    [InlineData("BatchNormNet", 8, true)]
    [InlineData("BatchNormNet", 5, false)]
    [InlineData("ActivationNet", 7, true)]
    [InlineData("MaxoutNet", 9, true)]
    [InlineData("MaxoutNet", 4, false)]
    [InlineData("DigitsNet", 5, true)]
    public void Every_tensor_of_every_layer_kind_passes(string name, int rows, bool training)
    {
        using INetwork net = Networks.Get(name).Create(Isa.Auto);
        net.Training = training;
        // Random parameters as in GradientCheckTests: MaxoutNet's Constant init makes every output equal and every upstream gradient 0.
        Values.Parameters(net.Info, new Random(29)).CopyTo(net.Parameters);
        if (net.Info.StatisticsCount > 0)
        {
            // Non-trivial running statistics for inference mode.
            Values.Statistics(net.Info, new Random(3)).CopyTo(net.RunningStatistics);
        }
        GradientCheckReport report = Check(net, rows, seed: 17);
        _output.WriteLine(report.ToString());
        Assert.True(report.Passed, report.ToString());
        int tensors = net.Info.Layers.Sum(l => l.Kind switch
        {
            LayerKind.Dense => l.HasBias ? 2 : 1,
            LayerKind.BatchNorm => 2,
            LayerKind.Activation when l.Activation == Act.PReLU => 1,
            _ => 0,
        });
        Assert.Equal(tensors, report.Entries.Count);
        // Vanishing (a dense bias right before batch norm in training mode: the batch mean absorbs it) has no meaningful relative error.
        Assert.All(report.Entries.Where(e => e.Verdict != GradientVerdict.Vanishing), e => Assert.True(e.RelativeError < 1e-3, $"layer {e.Layer} {e.Tensor}: {e.RelativeError:E2}"));
        Assert.All(report.Entries.Where(e => e.Verdict == GradientVerdict.Vanishing), e => Assert.True(training && e.Tensor == "bias" && net.Info.Layers[e.Layer + 1].Kind == LayerKind.BatchNorm, $"layer {e.Layer} {e.Tensor} vanishes"));
        Assert.All(report.Entries, e => Assert.Equal(Math.Min(e.Length, 64), e.Checked));
        // Not trivially zero: most tensors carry a real gradient that was compared.
        Assert.Contains(report.Entries, e => e.Verdict is GradientVerdict.Great or GradientVerdict.Good);
        Assert.All(report.Entries.Where(e => e.Verdict != GradientVerdict.Vanishing), e => Assert.True(e.NumericNorm > 0 && e.AnalyticNorm > 0));
        Assert.True(Math.Abs(report.NetworkLoss - report.OracleLoss) < 1e-4 * Math.Max(1, Math.Abs(report.OracleLoss)), "network and oracle compute the same loss");
        Assert.Contains("rel. error", report.ToString());
    }

    [Fact]
    public void A_corrupted_gradient_is_reported_bad_and_the_others_are_not()
    {
        using var inner = new BatchNormNet(isa: Isa.Auto);
        LayerInfo dense = BatchNormNet.Info.Layers[7]; // Dense(5): corrupt its bias (not Dense(19)'s, which vanishes before batch norm)
        using var net = new CorruptClassifier(inner, dense.BiasOffset, dense.Outputs);
        GradientCheckReport report = Check(net, 8, seed: 4);
        _output.WriteLine(report.ToString());
        Assert.False(report.Passed);
        GradientCheckEntry bad = report.Entries.Single(e => e.Verdict == GradientVerdict.Bad);
        Assert.Equal((7, "bias"), (bad.Layer, bad.Tensor));
        Assert.Contains("FAILED", report.ToString());

        // A small relative slip (1 %) is still far above the 1e-3 band.
        using var inner2 = new MaxoutNet(isa: Isa.Auto);
        Values.Parameters(MaxoutNet.Info, new Random(6)).CopyTo(inner2.Parameters); // not the Constant init, under which upstream gradients vanish
        LayerInfo w = MaxoutNet.Info.Layers[1];
        using var slight = new CorruptClassifier(inner2, w.WeightOffset, w.Inputs * w.Outputs, factor: 1.01f);
        GradientCheckReport r2 = Check(slight, 9, seed: 5);
        Assert.Equal(GradientVerdict.Bad, r2.Entries.Single(e => e.Layer == 1 && e.Tensor == "weight").Verdict);
    }

    [Fact]
    public void The_network_is_left_as_it_was()
    {
        using var net = new BatchNormNet(isa: Isa.Auto);
        var (x, labels, _) = Batch(BatchNormNet.Info, 8, 1);
        for (int i = 0; i < 3; i++) net.TrainStep(x, labels); // a step count, moved running statistics, optimizer state
        net.ComputeGradients(x.AsSpan(0, 5 * BatchNormNet.InputSize), labels.AsSpan(0, 5));
        net.ApplyUpdate();
        float[] parameters = net.Parameters.ToArray(), gradients = net.Gradients.ToArray(), statistics = net.RunningStatistics.ToArray();
        long step = net.Step;
        net.DropoutEnabled = true;
        GradientCheckReport report = GradientCheck.Run(net, x, labels, new GradientCheckOptions(MaxEntriesPerTensor: 8));
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(parameters, net.Parameters.ToArray());
        Assert.Equal(gradients, net.Gradients.ToArray());
        Assert.Equal(statistics, net.RunningStatistics.ToArray());
        Assert.Equal(step, net.Step);
        Assert.True(net.Training);
        Assert.True(net.DropoutEnabled);
        // The check's batch statistics are not pending: an update right after it leaves the running statistics alone.
        net.ApplyUpdate();
        Assert.Equal(statistics, net.RunningStatistics.ToArray());
        // Same options and state → same report.
        using var twin = new BatchNormNet(isa: Isa.Auto);
        parameters.CopyTo(twin.Parameters);
        statistics.CopyTo(twin.RunningStatistics);
        Assert.Equal(report.Entries.Select(e => e.Checked), GradientCheck.Run(twin, x, labels, new GradientCheckOptions(MaxEntriesPerTensor: 8)).Entries.Select(e => e.Checked));
    }

    [Fact]
    public void Bad_arguments_throw_and_change_nothing()
    {
        using var net = new MaxoutNet(isa: Isa.Auto);
        float[] gradients = net.Gradients.ToArray();
        var (x, labels, _) = Batch(MaxoutNet.Info, 4, 2);
        Assert.Throws<ArgumentException>(() => GradientCheck.Run(net, x.AsSpan(1), labels));
        Assert.Throws<ArgumentException>(() => GradientCheck.Run(net, x, new[] { 0, 1, 2, 99 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.Run(net, x, labels, new GradientCheckOptions(MaxEntriesPerTensor: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.Run(net, x, labels, new GradientCheckOptions(Step: 0)));
        Assert.True(net.DropoutEnabled);
        Assert.Equal(gradients, net.Gradients.ToArray());
        using var reg = new ActivationNet(isa: Isa.Auto);
        Assert.Throws<ArgumentException>(() => GradientCheck.Run(reg, new float[ActivationNet.InputSize * 2], new float[ActivationNet.OutputSize * 2 + 1]));
    }
}

/// <summary>A classifier whose analytic gradient is wrong on purpose: one tensor scaled by <c>factor</c> plus an offset.</summary>
internal sealed class CorruptClassifier : IClassifier
{
    private readonly IClassifier _inner;
    private readonly int _offset, _length;
    private readonly float _factor;

    public CorruptClassifier(IClassifier inner, int offset, int length, float factor = 1.5f)
    {
        _inner = inner;
        _offset = offset;
        _length = length;
        _factor = factor;
    }

    public NetworkInfo Info => _inner.Info;
    public Isa Isa => _inner.Isa;
    public long Step { get => _inner.Step; set => _inner.Step = value; }
    public float BaseLearningRate { get => _inner.BaseLearningRate; set => _inner.BaseLearningRate = value; }
    public float WeightDecay { get => _inner.WeightDecay; set => _inner.WeightDecay = value; }
    public Span<float> OptimizerState(int slot) => _inner.OptimizerState(slot);
    public bool IsFrozen(int layer) => _inner.IsFrozen(layer);
    public void SetFrozen(int layer, bool frozen = true) => _inner.SetFrozen(layer, frozen);
    public Span<float> Parameters => _inner.Parameters;
    public Span<float> Gradients => _inner.Gradients;
    public float LearningRate => _inner.LearningRate;
    public int Seed => _inner.Seed;
    public bool Training { get => _inner.Training; set => _inner.Training = value; }
    public bool DropoutEnabled { get => _inner.DropoutEnabled; set => _inner.DropoutEnabled = value; }
    public Span<float> RunningStatistics => _inner.RunningStatistics;
    public void Predict(ReadOnlySpan<float> inputs, Span<float> outputs) => _inner.Predict(inputs, outputs);
    public void ApplyUpdate() => _inner.ApplyUpdate();
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels) => _inner.TrainStep(inputs, labels);
    public Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels) => _inner.Evaluate(inputs, labels);
    public void Dispose() { }

    public float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        float loss = _inner.ComputeGradients(inputs, labels);
        Span<float> g = _inner.Gradients.Slice(_offset, _length);
        float mean = 0;
        foreach (float v in g) mean += MathF.Abs(v);
        mean /= _length;
        for (int i = 0; i < g.Length; i++) g[i] = g[i] * _factor + (_factor == 1.5f ? 0.1f * mean : 0f);
        return loss;
    }
}
