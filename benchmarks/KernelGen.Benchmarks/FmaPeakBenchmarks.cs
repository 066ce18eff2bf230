using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using KernelGen.Cli;

namespace KernelGen.Benchmarks;

/// <summary>
/// The core's FMA peak per width (<see cref="FmaPeak"/>, shared with <c>kernelgen bench</c>). Its best GFLOP/s is
/// the peak the <see cref="FlopsConfig"/> "% of peak" column divides by (run with <c>--join</c>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(FlopsConfig))]
public class FmaPeakBenchmarks
{
    /// <summary>FLOPs of one call.</summary>
    public static double Flops(BenchmarkCase c) => FmaPeak.Flops(c.Descriptor.WorkloadMethod.Name switch
    {
        nameof(Fma512) => 16,
        nameof(Fma256) => 8,
        _ => 4,
    });

    [Benchmark]
    public float Fma128() => FmaPeak.Run(4);

    [Benchmark]
    public float Fma256() => FmaPeak.Run(8);

    [Benchmark]
    public float Fma512() => FmaPeak.Run(16);
}
