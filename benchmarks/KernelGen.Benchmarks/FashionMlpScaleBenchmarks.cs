using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using KernelGen.Cli.Networks;
using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace KernelGen.Benchmarks;

/// <summary>Seeded FashionMlp operands for one batch, and the network that takes that many rows.</summary>
internal static class FashionOperands
{
    public static (IClassifier Net, float[] Inputs, int[] Labels, float[] Outputs) Create(int batch)
    {
        IClassifier net = batch <= FashionMlp.BatchSize ? new FashionMlp(threads: 1) : new FashionMlp256(threads: 1);
        var r = new Random(1);
        var inputs = new float[batch * FashionMlp.InputSize];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)r.NextDouble();
        var labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = r.Next(FashionMlp.OutputSize);
        return (net, inputs, labels, new float[batch * FashionMlp.OutputSize]);
    }
}

/// <summary>
/// FashionMlp's whole training step (forward, softmax cross-entropy, backward, AdamW; batch norm on batch statistics,
/// dropout on) at batch 32, 128 and 256 (256 on <see cref="FashionMlp256"/>: the same layers, BatchSize 256). Batch 1
/// cannot train: batch norm in training mode needs two rows (PyTorch refuses one too).
/// </summary>
[MemoryDiagnoser]
public class FashionMlpTrainStepBenchmarks
{
    private IClassifier _net = null!;
    private float[] _inputs = null!;
    private int[] _labels = null!;

    [Params(32, 128, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup() => (_net, _inputs, _labels, _) = FashionOperands.Create(Batch);

    [GlobalCleanup]
    public void Cleanup() => _net.Dispose();

    [Benchmark]
    public float TrainStep() => _net.TrainStep(_inputs, _labels);
}

/// <summary>FashionMlp's Predict (inference: batch norm folded into the dense weights, no dropout, softmax) at batch 1, 32, 128, 256.</summary>
[MemoryDiagnoser]
public class FashionMlpPredictBenchmarks
{
    private IClassifier _net = null!;
    private float[] _inputs = null!, _outputs = null!;

    [Params(1, 32, 128, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int[] labels;
        (_net, _inputs, labels, _outputs) = FashionOperands.Create(Batch);
        if (Batch >= 2) _net.TrainStep(_inputs, labels); // trained running statistics, as after training
    }

    [GlobalCleanup]
    public void Cleanup() => _net.Dispose();

    [Benchmark]
    public void Predict() => _net.Predict(_inputs, _outputs);
}

/// <summary>
/// The GEMMs of FashionMlp (fwd Y = X·Wᵀ, dW = dYᵀ·X, dX = dY·W; W is [out, in]) at batch 1, 32, 128, 256: MathNet.Numerics'
/// managed provider, single-threaded, into preallocated matrices (the .NET baseline), and KernelGen's generated kernel
/// (<c>RunKernel</c> on FashionMlp, operands from a real step; its forward includes the bias, its dW also db, its dX the
/// activation derivative).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FlopsConfig))]
public class FashionGemmBenchmarks
{
    private static readonly (string Name, int Layer, int Out, int In, KernelPass Pass)[] Shapes =
    {
        ("fc1.fwd 256x784", 0, 256, 784, KernelPass.Forward), ("fc1.dW 256x784", 0, 256, 784, KernelPass.WeightGradient),
        ("fc2.fwd 128x256", 4, 128, 256, KernelPass.Forward), ("fc2.dW 128x256", 4, 128, 256, KernelPass.WeightGradient),
        ("fc2.dX 128x256", 4, 128, 256, KernelPass.InputGradient), ("fc3.fwd 10x128", 8, 10, 128, KernelPass.Forward),
        ("fc3.dW 10x128", 8, 10, 128, KernelPass.WeightGradient), ("fc3.dX 10x128", 8, 10, 128, KernelPass.InputGradient),
    };

    private (string Name, int Layer, int Out, int In, KernelPass Pass) _shape;
    private Matrix<float> _x = null!, _w = null!, _y = null!, _dy = null!, _dw = null!, _dx = null!;
    private IClassifier _net = null!;
    private Action<int, KernelPass, float[]> _run = null!;
    private float[] _inputs = null!;

    [ParamsSource(nameof(Gemms))]
    public string Gemm { get; set; } = "";

    [Params(1, 32, 128, 256)]
    public int Batch { get; set; }

    public static IEnumerable<string> Gemms()
    {
        foreach (var s in Shapes) yield return s.Name;
    }

    /// <summary>FLOPs of one call: 2·batch·in·out.</summary>
    public static double Flops(BenchmarkCase c)
    {
        var s = Array.Find(Shapes, x => x.Name == (string)c.Parameters["Gemm"]);
        return 2.0 * (int)c.Parameters["Batch"] * s.In * s.Out;
    }

    [GlobalSetup]
    public void Setup()
    {
        Control.UseManaged();
        Control.UseSingleThread();
        _shape = Array.Find(Shapes, x => x.Name == Gemm);
        var r = new Random(1);
        Matrix<float> M(int rows, int cols) => Matrix<float>.Build.Dense(rows, cols, (_, _) => (float)r.NextDouble() - 0.5f);
        _x = M(Batch, _shape.In); _w = M(_shape.Out, _shape.In); _y = M(Batch, _shape.Out);
        _dy = M(Batch, _shape.Out); _dw = M(_shape.Out, _shape.In); _dx = M(Batch, _shape.In);

        int[] labels;
        (_net, _inputs, labels, _) = FashionOperands.Create(Batch);
        int primeRows = Math.Max(Batch, 2); // batch norm needs two rows; batch 1 runs on a two-row step's operands
        var prime = new float[primeRows * FashionMlp.InputSize];
        _inputs.AsSpan().CopyTo(prime);
        _net.ComputeGradients(prime, new int[primeRows]);
        _run = _net switch
        {
            FashionMlp f => (l, p, x) => f.RunKernel(l, p, x),
            FashionMlp256 f => (l, p, x) => f.RunKernel(l, p, x),
            _ => throw new InvalidOperationException(),
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _net.Dispose();

    [Benchmark(Baseline = true)]
    public void MathNetManaged()
    {
        switch (_shape.Pass)
        {
            case KernelPass.Forward: _x.TransposeAndMultiply(_w, _y); break;
            case KernelPass.WeightGradient: _dy.TransposeThisAndMultiply(_x, _dw); break;
            default: _dy.Multiply(_w, _dx); break;
        }
    }

    [Benchmark]
    public void KernelGen() => _run(_shape.Layer, _shape.Pass, _inputs);
}
