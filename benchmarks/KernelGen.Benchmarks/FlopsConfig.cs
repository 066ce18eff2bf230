using System;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace KernelGen.Benchmarks;

/// <summary>
/// Adds "GFLOP/s" and "% of peak" to benchmarks whose class has <c>public static double Flops(BenchmarkCase)</c>.
/// The peak is the best GFLOP/s of <see cref="FmaPeakBenchmarks"/> in the same summary (run with <c>--join</c>),
/// so the ratio never mixes a figure from another run or another machine.
/// </summary>
public sealed class FlopsConfig : ManualConfig
{
    public FlopsConfig()
    {
        AddColumn(new FlopsColumn(percentOfPeak: false), new FlopsColumn(percentOfPeak: true));
    }

    internal static double? Flops(BenchmarkCase c)
    {
        MethodInfo? m = c.Descriptor.Type.GetMethod("Flops", BindingFlags.Public | BindingFlags.Static, new[] { typeof(BenchmarkCase) });
        return m is null ? null : (double)m.Invoke(null, new object[] { c })!;
    }

    internal static double? Gflops(Summary summary, BenchmarkCase c)
    {
        BenchmarkReport? report = summary[c];
        double? flops = Flops(c);
        double? ns = report?.ResultStatistics?.Mean;
        return flops is null || ns is null or <= 0 ? null : flops.Value / ns.Value;
    }

    private sealed class FlopsColumn : IColumn
    {
        private readonly bool _percent;
        public FlopsColumn(bool percentOfPeak) => _percent = percentOfPeak;

        public string Id => _percent ? "KernelGen.PercentOfPeak" : "KernelGen.Gflops";
        public string ColumnName => _percent ? "% of peak" : "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => _percent ? 1 : 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => _percent
            ? "GFLOP/s over the best FmaPeakBenchmarks GFLOP/s of the same summary (run with --join)"
            : "Floating-point operations per nanosecond of the mean";

        public bool IsDefault(Summary summary, BenchmarkCase c) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase c) => GetValue(summary, c, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase c, SummaryStyle style)
        {
            double? g = Gflops(summary, c);
            if (g is null) return "-";
            if (!_percent) return g.Value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
            double peak = summary.BenchmarksCases
                .Where(b => b.Descriptor.Type == typeof(FmaPeakBenchmarks))
                .Select(b => Gflops(summary, b) ?? 0).DefaultIfEmpty(0).Max();
            return peak <= 0 ? "?" : (100 * g.Value / peak).ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " %";
        }
    }
}
