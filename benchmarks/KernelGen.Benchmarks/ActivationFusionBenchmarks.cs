using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace KernelGen.Benchmarks;

/// <summary>784→256 GELU→128 SiLU→10 (Adam): GELU and SiLU fused into the dense layers before them — the forward's epilogue writes
/// f(z) and keeps f′(z) from the same evaluation, the next layer's dX multiplies by it.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [Activation(Act.GELU)]
[Dense(128, Init = Init.HeNormal)] [Activation(Act.SiLU)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class GeluMlp;

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
/// Issue 14 part 3: the same function with GELU/SiLU fused into the dense epilogue and stand-alone (the baseline), in one run, at
/// 1/32/128/256 rows, one and two threads, training step and Predict. Both start from the same parameters.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public class ActivationFusionBenchmarks
{
    private GeluMlp _fused = null!;
    private GeluMlpUnfused _unfused = null!;
    private float[] _inputs = null!, _outputs = null!;
    private int[] _labels = null!;

    [Params(1, 32, 128, 256)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fused = new GeluMlp(threads: Threads);
        _unfused = new GeluMlpUnfused(threads: Threads);
        _fused.Parameters.CopyTo(_unfused.Parameters);
        var r = new Random(1);
        _inputs = new float[Batch * GeluMlp.InputSize];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)r.NextDouble();
        _labels = new int[Batch];
        for (int i = 0; i < Batch; i++) _labels[i] = r.Next(10);
        _outputs = new float[Batch * GeluMlp.OutputSize];
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

/// <summary>GELU/SiLU fused into the batch norm before them against stand-alone, training step (Predict folds the batch norm into
/// the dense layer either way), 32/128/256 rows, one and two threads, same parameters.</summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
public class NormActivationFusionBenchmarks
{
    private NormGeluMlp _fused = null!;
    private NormGeluMlpUnfused _unfused = null!;
    private float[] _inputs = null!;
    private int[] _labels = null!;

    [Params(32, 128, 256)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fused = new NormGeluMlp(threads: Threads);
        _unfused = new NormGeluMlpUnfused(threads: Threads);
        _fused.Parameters.CopyTo(_unfused.Parameters);
        var r = new Random(1);
        _inputs = new float[Batch * NormGeluMlp.InputSize];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)r.NextDouble();
        _labels = new int[Batch];
        for (int i = 0; i < Batch; i++) _labels[i] = r.Next(10);
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
}
