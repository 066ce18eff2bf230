using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using KernelGen.Cli.Networks;

namespace KernelGen.Benchmarks;

/// <summary>
/// Every GEMM kernel of the reference MLP 784→256→128→10 on its own (<c>RunKernel</c>), at batch 1, 32,
/// 128 and 256, with GFLOP/s and % of the FMA peak measured by <see cref="FmaPeakBenchmarks"/> in the same
/// run (use <c>--join</c> so both land in one summary). Operands are a real step's: a TrainStep runs first.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FlopsConfig))]
public class KernelBenchmarks
{
    private ReferenceMlp _net = null!;
    private float[] _inputs = null!;
    private int _layer;
    private KernelPass _pass;

    /// <summary>"L{layer}.{pass} {out}x{in}": the layer's 0-based position in the attribute stack.</summary>
    [ParamsSource(nameof(Kernels))]
    public string Kernel { get; set; } = "";

    [Params(1, 32, 128, 256)]
    public int Batch { get; set; }

    public static IEnumerable<string> Kernels()
    {
        bool first = true;
        for (int i = 0; i < ReferenceMlp.Info.Layers.Count; i++)
        {
            LayerInfo l = ReferenceMlp.Info.Layers[i];
            if (l.Kind != LayerKind.Dense) continue;
            yield return $"L{i}.{KernelPass.Forward} {l.Outputs}x{l.Inputs}";
            yield return $"L{i}.{KernelPass.WeightGradient} {l.Outputs}x{l.Inputs}";
            if (!first) yield return $"L{i}.{KernelPass.InputGradient} {l.Outputs}x{l.Inputs}";
            first = false;
        }
    }

    private static (int Layer, KernelPass Pass) ParseKernel(string kernel)
    {
        string[] parts = kernel.Split(' ')[0].Split('.');
        return (int.Parse(parts[0].AsSpan(1)), Enum.Parse<KernelPass>(parts[1]));
    }

    /// <summary>FLOPs of one call: 2·rows·in·out (the bias gradient's rows·out adds are not counted).</summary>
    public static double Flops(BenchmarkCase c)
    {
        var (layer, _) = ParseKernel((string)c.Parameters["Kernel"]);
        LayerInfo l = ReferenceMlp.Info.Layers[layer];
        return 2.0 * (int)c.Parameters["Batch"] * l.Inputs * l.Outputs;
    }

    [GlobalSetup]
    public void Setup()
    {
        (_layer, _pass) = ParseKernel(Kernel);
        _net = new ReferenceMlp(threads: 1);
        var r = new Random(1);
        _inputs = new float[Batch * ReferenceMlp.InputSize];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = (float)r.NextDouble();
        var labels = new int[Batch];
        for (int i = 0; i < Batch; i++) labels[i] = r.Next(10);
        _net.ComputeGradients(_inputs, labels); // realistic operands in the workspace (ReLU zeros included)
    }

    [GlobalCleanup]
    public void Cleanup() => _net.Dispose();

    [Benchmark]
    public void Run() => _net.RunKernel(_layer, _pass, _inputs);
}
