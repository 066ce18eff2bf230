using System;
using System.Globalization;
using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using KernelGen.Ops;

namespace KernelGen.Benchmarks;

/// <summary>
/// Element-wise activations over N floats: <see cref="Elementwise"/>.Map / MapAt of KernelGen's operators (Sigmoid,
/// Tanh, GELU, SiLU, Softplus) with System.Numerics.Tensors' <c>TensorPrimitives.Sigmoid</c> and
/// <c>TensorPrimitives.Tanh</c> as the baselines of their categories (it has no GELU, SiLU or Softplus). 16K floats
/// (64 KB in + 64 KB out) stay in L2; 1M (8 MB) stream from memory. Inputs are uniform in [−8, 8], so every branch of
/// every function is taken. The "ns/element" column is the mean divided by N.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[Config(typeof(PerElementConfig))]
public class ActivationBenchmarks
{
    private float[] _x = null!, _y = null!;

    [Params(16_384, 1_048_576)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(1);
        _x = new float[N];
        _y = new float[N];
        for (int i = 0; i < N; i++) _x[i] = (float)(r.NextDouble() * 16 - 8);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Sigmoid")]
    public void TensorPrimitivesSigmoid() => TensorPrimitives.Sigmoid<float>(_x, _y);

    [Benchmark, BenchmarkCategory("Sigmoid")]
    public void KernelGenSigmoid() => Elementwise.Map<SigmoidOperator>(_x, _y);

    [Benchmark(Baseline = true), BenchmarkCategory("Tanh")]
    public void TensorPrimitivesTanh() => TensorPrimitives.Tanh<float>(_x, _y);

    [Benchmark, BenchmarkCategory("Tanh")]
    public void KernelGenTanh() => Elementwise.Map<TanhOperator>(_x, _y);

    [Benchmark, BenchmarkCategory("GELU")]
    public void KernelGenGelu() => Elementwise.MapAt<GeluOperator>(_x, _y);

    [Benchmark, BenchmarkCategory("SiLU")]
    public void KernelGenSiLU() => Elementwise.MapAt<SiLUOperator>(_x, _y);

    [Benchmark, BenchmarkCategory("Softplus")]
    public void KernelGenSoftplus() => Elementwise.Map<SoftplusOperator>(_x, _y);

    /// <summary>Adds "ns/element": the mean time divided by the benchmark's <c>N</c> parameter.</summary>
    public sealed class PerElementConfig : ManualConfig
    {
        public PerElementConfig() => AddColumn(new PerElementColumn());
    }

    private sealed class PerElementColumn : IColumn
    {
        public string Id => "KernelGen.NsPerElement";
        public string ColumnName => "ns/element";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Mean time divided by N";
        public bool IsDefault(Summary summary, BenchmarkCase c) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase c) => GetValue(summary, c, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase c, SummaryStyle style)
        {
            double? ns = summary[c]?.ResultStatistics?.Mean;
            return ns is null || c.Parameters["N"] is not int n || n <= 0 ? "-" : (ns.Value / n).ToString("0.000", CultureInfo.InvariantCulture);
        }
    }
}
