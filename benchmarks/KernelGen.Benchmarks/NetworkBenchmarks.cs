using System;
using BenchmarkDotNet.Attributes;
using KernelGen.Cli.Networks;

namespace KernelGen.Benchmarks;

/// <summary>Whole training step and inference of the reference MLP 784→256→128→10, single thread.
/// FLOPs per step: forward 2·B·(784·256 + 256·128 + 128·10), backward twice that minus the first layer's dX.</summary>
[MemoryDiagnoser]
public class ReferenceMlpBenchmarks
{
    private ReferenceMlp _net = null!;
    private float[] _inputs = null!, _outputs = null!;
    private int[] _labels = null!;

    [Params(1, 32, 128, 256)]
    public int Batch { get; set; }

    [Params(Isa.Auto)]
    public Isa Isa { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _net = new ReferenceMlp(isa: Isa, threads: 1);
        var r = new Random(1);
        _inputs = new float[Batch * ReferenceMlp.InputSize];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)r.NextDouble();
        _labels = new int[Batch];
        for (int i = 0; i < Batch; i++) _labels[i] = r.Next(10);
        _outputs = new float[Batch * ReferenceMlp.OutputSize];
    }

    [GlobalCleanup]
    public void Cleanup() => _net.Dispose();

    [Benchmark]
    public float TrainStep() => _net.TrainStep(_inputs, _labels);

    [Benchmark]
    public void Predict() => _net.Predict(_inputs, _outputs);
}

/// <summary>Issue 2's DigitsNet, every width.</summary>
[MemoryDiagnoser]
public class DigitsNetBenchmarks
{
    private DigitsNet _net = null!;
    private float[] _inputs = null!, _outputs = null!;
    private int[] _labels = null!;

    [ParamsSource(nameof(AcceleratedWidths))]
    public Isa Isa { get; set; }

    /// <summary>Scalar and the vector widths this CPU runs (<see cref="Widths.Accelerated"/>).</summary>
    public static System.Collections.Generic.IEnumerable<Isa> AcceleratedWidths => Widths.Accelerated;

    [GlobalSetup]
    public void Setup()
    {
        _net = new DigitsNet(isa: Isa, threads: 1);
        var r = new Random(1);
        _inputs = new float[DigitsNet.BatchSize * DigitsNet.InputSize];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)r.NextDouble();
        _labels = new int[DigitsNet.BatchSize];
        for (int i = 0; i < _labels.Length; i++) _labels[i] = r.Next(10);
        _outputs = new float[DigitsNet.BatchSize * DigitsNet.OutputSize];
    }

    [GlobalCleanup]
    public void Cleanup() => _net.Dispose();

    [Benchmark]
    public float TrainStep() => _net.TrainStep(_inputs, _labels);

    [Benchmark]
    public void Predict() => _net.Predict(_inputs, _outputs);
}

/// <summary>
/// Issue 4's FashionMlp (784→256 BN ReLU Dropout(0.2) →128 BN LeakyReLU Dropout(0.2) →10, softmax CE, AdamW), single
/// thread: the whole training step at batch 128, the update alone (finite check + fused AdamW over all 235,914
/// parameters + running statistics; divide by ParameterCount for ns/parameter), and Predict with batch norm folded.
/// </summary>
[MemoryDiagnoser]
public class FashionMlpBenchmarks
{
    private FashionMlp _net = null!;
    private float[] _inputs = null!, _outputs = null!;
    private int[] _labels = null!;

    [ParamsSource(nameof(WideWidths))]
    public Isa Isa { get; set; }

    /// <summary>Vector512 and Vector256 where this CPU runs them (<see cref="Widths.Vector256Up"/>).</summary>
    public static System.Collections.Generic.IEnumerable<Isa> WideWidths => Widths.Vector256Up;

    [GlobalSetup]
    public void Setup()
    {
        _net = new FashionMlp(isa: Isa, threads: 1);
        var r = new Random(1);
        _inputs = new float[FashionMlp.BatchSize * FashionMlp.InputSize];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)r.NextDouble();
        _labels = new int[FashionMlp.BatchSize];
        for (int i = 0; i < _labels.Length; i++) _labels[i] = r.Next(10);
        _outputs = new float[FashionMlp.BatchSize * FashionMlp.OutputSize];
        _net.ComputeGradients(_inputs, _labels);
    }

    [GlobalCleanup]
    public void Cleanup() => _net.Dispose();

    [Benchmark]
    public float TrainStep() => _net.TrainStep(_inputs, _labels);

    [Benchmark]
    public void ApplyUpdate() => _net.ApplyUpdate();

    [Benchmark]
    public void Predict128() => _net.Predict(_inputs, _outputs);

    [Benchmark]
    public void Predict1() => _net.Predict(_inputs.AsSpan(0, FashionMlp.InputSize), _outputs.AsSpan(0, FashionMlp.OutputSize));
}
