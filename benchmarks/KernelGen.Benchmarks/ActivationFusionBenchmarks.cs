using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace KernelGen.Benchmarks;

/// <summary><see cref="GeluMlp"/> as it ran before the fusion: an identity layer after each dense layer (fused into it, exact) leaves
/// GELU and SiLU to stand-alone kernels — a forward pass and a backward pass of their own, on the calling thread, f′ evaluated again.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [Activation(Act.Identity)] [Activation(Act.GELU)]
[Dense(128, Init = Init.HeNormal)] [Activation(Act.Identity)] [Activation(Act.SiLU)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class GeluMlpUnfused;

/// <summary>
/// A fused network against its stand-alone twin (the baseline), in one run, from the same parameters: training step and Predict
/// at the batch sizes a subclass declares, one and two threads. A subclass names the pair.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public abstract class FusionBenchmarks
{
    private IClassifier _fused = null!, _unfused = null!;
    private float[] _inputs = null!, _outputs = null!;
    private int[] _labels = null!;

    /// <summary>Rows per call (a subclass puts [Params] on its override).</summary>
    public virtual int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    protected abstract IClassifier CreateFused(int threads);
    protected abstract IClassifier CreateUnfused(int threads);

    [GlobalSetup]
    public void Setup()
    {
        _fused = CreateFused(Threads);
        _unfused = CreateUnfused(Threads);
        _fused.Parameters.CopyTo(_unfused.Parameters);
        var r = new Random(1);
        _inputs = new float[Batch * _fused.Info.Inputs];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)r.NextDouble();
        _labels = new int[Batch];
        for (int i = 0; i < Batch; i++) _labels[i] = r.Next(_fused.Info.Outputs);
        _outputs = new float[Batch * _fused.Info.Outputs];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fused.Dispose();
        _unfused.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("TrainStep")]
    public float TrainStepUnfused() => _unfused.TrainStep(_inputs, _labels);

    [Benchmark, BenchmarkCategory("TrainStep")]
    public float TrainStepFused() => _fused.TrainStep(_inputs, _labels);

    [Benchmark(Baseline = true), BenchmarkCategory("Predict")]
    public void PredictUnfused() => _unfused.Predict(_inputs, _outputs);

    [Benchmark, BenchmarkCategory("Predict")]
    public void PredictFused() => _fused.Predict(_inputs, _outputs);
}

/// <summary>Issue 14 part 3: GELU/SiLU fused into the dense epilogue (<see cref="GeluMlp"/>) against stand-alone kernels.</summary>
public class ActivationFusionBenchmarks : FusionBenchmarks
{
    [Params(1, 32, 128, 256)]
    public override int Batch { get => base.Batch; set => base.Batch = value; }

    protected override IClassifier CreateFused(int threads) => new GeluMlp(threads: threads);
    protected override IClassifier CreateUnfused(int threads) => new GeluMlpUnfused(threads: threads);
}

/// <summary>784→256 BN GELU→128 BN SiLU→10 (Adam): GELU and SiLU fused into the batch norms before them — the store pass writes
/// f and keeps f′ from the same evaluation.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.GELU)]
[Dense(128, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.SiLU)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class NormGeluMlp;

/// <summary><see cref="NormGeluMlp"/> as it ran before: an identity fused into each batch norm leaves GELU and SiLU stand-alone.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.Identity)] [Activation(Act.GELU)]
[Dense(128, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.Identity)] [Activation(Act.SiLU)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class NormGeluMlpUnfused;

/// <summary>GELU/SiLU fused into the batch norm before them against stand-alone (<see cref="NormGeluMlp"/>); Predict folds the batch
/// norm into the dense layer either way (run the TrainStep category).</summary>
public class NormActivationFusionBenchmarks : FusionBenchmarks
{
    [Params(32, 128, 256)]
    public override int Batch { get => base.Batch; set => base.Batch = value; }

    protected override IClassifier CreateFused(int threads) => new NormGeluMlp(threads: threads);
    protected override IClassifier CreateUnfused(int threads) => new NormGeluMlpUnfused(threads: threads);
}

/// <summary>784→256 PReLU→128 PReLU→10 (Adam): PReLU fused into the dense epilogue — α per unit on the tile, the PReLU's output
/// stored, the pre-activation kept for its backward.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [Activation(Act.PReLU)]
[Dense(128, Init = Init.HeNormal)] [Activation(Act.PReLU)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class PReLUMlp;

/// <summary><see cref="PReLUMlp"/> as it ran before: an identity fused into each dense layer leaves PReLU to its stand-alone kernels.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [Activation(Act.Identity)] [Activation(Act.PReLU)]
[Dense(128, Init = Init.HeNormal)] [Activation(Act.Identity)] [Activation(Act.PReLU)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class PReLUMlpUnfused;

/// <summary>Issue 14 part 3: PReLU fused into the dense epilogue (<see cref="PReLUMlp"/>) against stand-alone kernels.</summary>
public class PReLUFusionBenchmarks : FusionBenchmarks
{
    [Params(1, 32, 128, 256)]
    public override int Batch { get => base.Batch; set => base.Batch = value; }

    protected override IClassifier CreateFused(int threads) => new PReLUMlp(threads: threads);
    protected override IClassifier CreateUnfused(int threads) => new PReLUMlpUnfused(threads: threads);
}
