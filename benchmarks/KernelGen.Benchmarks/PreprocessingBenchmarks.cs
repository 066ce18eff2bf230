using System;
using BenchmarkDotNet.Attributes;
using KernelGen.Data;

namespace KernelGen.Benchmarks;

/// <summary>
/// Preprocessing at Fashion-MNIST's shape (784 features): fitting ZCA whitening (mean, covariance, eigen-decomposition
/// in double) and per-feature standardisation on N seeded rows, and applying the fitted ZCA to them (a 784 × 784
/// projection per row). Fits allocate (the statistics); Apply allocates nothing.
/// </summary>
[MemoryDiagnoser]
public class PreprocessingBenchmarks
{
    private const int Features = 784;
    private float[] _rows = null!, _work = null!;
    private Preprocessor _zca = null!;

    [Params(10_000)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(4);
        _rows = new float[N * Features];
        // Correlated pixels: a few smooth components plus noise, the first and last columns constant (border pixels).
        for (int n = 0; n < N; n++)
        {
            double a = r.NextDouble(), b = r.NextDouble(), c = r.NextDouble();
            for (int j = 1; j < Features - 1; j++)
                _rows[n * Features + j] = (float)(a * Math.Sin(j * 0.01) + b * Math.Cos(j * 0.03) + c * (j % 28) / 28.0 + 0.05 * r.NextDouble());
        }
        _zca = Preprocessor.FitZcaWhitening(_rows, Features);
        _work = new float[_rows.Length];
    }

    [Benchmark(Baseline = true)]
    public Preprocessor FitStandardize() => Preprocessor.FitStandardize(_rows, Features);

    [Benchmark]
    public Preprocessor FitZca() => Preprocessor.FitZcaWhitening(_rows, Features);

    [Benchmark]
    public int ApplyZca()
    {
        _rows.CopyTo(_work, 0);
        return _zca.Apply(_work);
    }
}
