using System;
using BenchmarkDotNet.Attributes;
using KernelGen.Cli.Networks;

namespace KernelGen.Benchmarks;

/// <summary>What a batch of inputs holds in <see cref="SubnormalBenchmarks"/>.</summary>
public enum InputKind
{
    /// <summary>Seeded values in [−1, 1).</summary>
    Normal,
    /// <summary>Seeded values in [0, 1e-39): subnormal floats (a few may round to 0).</summary>
    Subnormal,
    /// <summary>All zeros.</summary>
    Zero,
}

/// <summary>
/// Issue 18, case 16 (docs/reliability.md): subnormal inputs are not flushed to zero, so what they cost is measured here —
/// DigitsNet's whole TrainStep (32 rows, 1 thread) on normal, subnormal and zero inputs, at every width this CPU runs. The results
/// themselves (subnormal inputs give what zeros give) are checked by
/// <c>ReliabilityTests.Case16_subnormal_inputs_give_what_zeros_give</c>. A width the CPU lacks is left out of the run
/// (<see cref="Widths.Accelerated"/>), not failed in its setup.
/// </summary>
[MemoryDiagnoser]
public class SubnormalBenchmarks
{
    private DigitsNet _net = null!;
    private float[] _inputs = null!;
    private int[] _labels = null!;

    [Params(InputKind.Normal, InputKind.Subnormal, InputKind.Zero)]
    public InputKind Input { get; set; }

    [ParamsSource(nameof(AcceleratedWidths))]
    public Isa Isa { get; set; }

    /// <summary>Scalar and the vector widths this CPU runs (<see cref="Widths.Accelerated"/>).</summary>
    public static System.Collections.Generic.IEnumerable<Isa> AcceleratedWidths => Widths.Accelerated;

    [GlobalSetup]
    public void Setup()
    {
        _net = new DigitsNet(isa: Isa, threads: 1);
        var r = new Random(16);
        _inputs = new float[DigitsNet.BatchSize * DigitsNet.InputSize];
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = Input switch
            {
                InputKind.Normal => (float)(r.NextDouble() * 2 - 1),
                InputKind.Subnormal => (float)(r.NextDouble() * 1e-39),
                _ => 0f,
            };
        }
        if (Input == InputKind.Subnormal && Array.TrueForAll(_inputs, v => !float.IsSubnormal(v)))
            throw new InvalidOperationException("no subnormal input");
        var labels = new Random(17); // its own generator: the same labels for every input kind
        _labels = new int[DigitsNet.BatchSize];
        for (int i = 0; i < _labels.Length; i++) _labels[i] = labels.Next(DigitsNet.OutputSize);
    }

    [GlobalCleanup]
    public void Cleanup() => _net.Dispose();

    [Benchmark]
    public float TrainStep() => _net.TrainStep(_inputs, _labels);
}
