using System;
using System.Threading;
using System.Diagnostics;
using System.Globalization;
using KernelGen.Cli.Networks;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen bench</c>: a quick per-kernel timing of the reference MLP (median of repeated timed loops)
/// and the core's FMA peak, for machines without the SDK (a self-contained publish) and for fast tuning.
/// The numbers of record come from BenchmarkDotNet (benchmarks/KernelGen.Benchmarks); this is a probe.
/// </summary>
internal static class Bench
{
    public static int Run(Isa isa, int[] batches)
    {
        var inv = CultureInfo.InvariantCulture;
        double peak = 0;
        Console.WriteLine($"FMA peak (12 independent chains, one thread):");
        foreach (int lanes in new[] { 4, 8, 16 })
        {
            double g = FmaPeak.Flops(lanes) / MeasureNanoseconds(() => FmaPeak.Run(lanes));
            peak = Math.Max(peak, g);
            Console.WriteLine(string.Format(inv, "  Vector{0,-4} {1,7:0.0} GFLOP/s{2}", lanes * 32, g,
                Runtime.IsaSupport.IsAccelerated(lanes switch { 16 => Isa.Vector512, 8 => Isa.Vector256, _ => Isa.Vector128 }) ? string.Empty : "  (not accelerated)"));
        }
        using var net = new ReferenceMlp(isa: isa, threads: 1);
        Console.WriteLine($"ReferenceMlp 784→256→128→10, {net.Isa} kernels; median of 15 timed loops; % of the best peak above.");
        Console.WriteLine(string.Format(inv, "{0,-28} {1,6} {2,12} {3,9} {4,7}", "kernel", "batch", "µs", "GFLOP/s", "% peak"));
        var r = new Random(1);
        double flopsPerRow = 0; // forward: 2·in·out per dense layer
        foreach (LayerInfo l in ReferenceMlp.Info.Layers)
            if (l.Kind == LayerKind.Dense) flopsPerRow += 2.0 * l.Inputs * l.Outputs;
        foreach (int batch in batches)
        {
            var inputs = new float[batch * ReferenceMlp.InputSize];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)r.NextDouble();
            var labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = r.Next(10);
            net.ComputeGradients(inputs, labels);
            double total = 0;
            for (int layer = 0; layer < ReferenceMlp.Info.Layers.Count; layer++)
            {
                LayerInfo l = ReferenceMlp.Info.Layers[layer];
                if (l.Kind != LayerKind.Dense) continue;
                foreach (KernelPass pass in Enum.GetValues<KernelPass>())
                {
                    if (pass == KernelPass.InputGradient && layer == 0) continue;
                    double flops = 2.0 * batch * l.Inputs * l.Outputs;
                    int layerCopy = layer;
                    double us = MeasureNanoseconds(() => net.RunKernel(layerCopy, pass, inputs)) / 1000;
                    double g = flops / (us * 1000);
                    total += us;
                    Console.WriteLine(string.Format(inv, "{0,-28} {1,6} {2,12:0.00} {3,9:0.0} {4,6:0}%",
                        $"L{layer}.{pass} {l.Outputs}x{l.Inputs}", batch, us, g, 100 * g / peak));
                }
            }
            double step = MeasureNanoseconds(() => net.TrainStep(inputs, labels)) / 1000;
            double predictFlops = batch * flopsPerRow;
            var outputs = new float[batch * ReferenceMlp.OutputSize];
            double pg = predictFlops / MeasureNanoseconds(() => net.Predict(inputs, outputs));
            Console.WriteLine(string.Format(inv, "{0,-28} {1,6} {2,12:0.00}", "  sum of the GEMM kernels", batch, total));
            Console.WriteLine(string.Format(inv, "{0,-28} {1,6} {2,12:0.00}", "  TrainStep (whole)", batch, step));
            Console.WriteLine(string.Format(inv, "{0,-28} {1,6} {2,12:0.00} {3,9:0.0} {4,6:0}%", "  Predict (whole)", batch, predictFlops / pg / 1000, pg, 100 * pg / peak));
        }
        Fashion(isa, inv);
        PoolRoundTrip(inv);
        return 0;
    }

    /// <summary>Issue 4's FashionMlp (batch norm, LeakyReLU, dropout, AdamW): whole step, the update alone, Predict; one thread, then every processor.</summary>
    private static void Fashion(Isa isa, CultureInfo inv)
    {
        var counts = Environment.ProcessorCount > 1 ? new[] { 1, Environment.ProcessorCount } : new[] { 1 };
        double single = 0;
        foreach (int threads in counts)
        {
            using var net = new FashionMlp(isa: isa, threads: threads);
            var r = new Random(2);
            int batch = FashionMlp.BatchSize;
            var inputs = new float[batch * FashionMlp.InputSize];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)r.NextDouble();
            var labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = r.Next(10);
            var outputs = new float[batch * FashionMlp.OutputSize];
            Console.WriteLine($"FashionMlp 784→256 BN ReLU Dropout→128 BN LeakyReLU Dropout→10, AdamW, {net.Isa} kernels, {FashionMlp.ParameterCount:N0} parameters, {net.Threads} thread(s):");
            double step = MeasureNanoseconds(() => net.TrainStep(inputs, labels)) / 1000;
            if (threads == 1) single = step;
            net.ComputeGradients(inputs, labels);
            double update = MeasureNanoseconds(net.ApplyUpdate);
            double predict = MeasureNanoseconds(() => net.Predict(inputs, outputs)) / 1000;
            double one = MeasureNanoseconds(() => net.Predict(inputs.AsSpan(0, FashionMlp.InputSize), outputs.AsSpan(0, FashionMlp.OutputSize))) / 1000;
            string speedup = threads > 1 ? string.Format(inv, " ({0:0.00}× one thread)", single / step) : string.Empty;
            Console.WriteLine(string.Format(inv, "  TrainStep batch {0}: {1:0.0} µs{4}; ApplyUpdate (finite check + AdamW + running statistics): {2:0.0} µs = {3:0.000} ns/parameter", batch, step, update / 1000, update / FashionMlp.ParameterCount, speedup));
            Console.WriteLine(string.Format(inv, "  Predict (batch norm folded) batch {0}: {1:0.0} µs; batch 1: {2:0.00} µs", batch, predict, one));
        }
    }

    private sealed class NoWork : Runtime.IParallelPhases
    {
        public void RunPart(int phase, int part, int parts) { }
    }

    /// <summary>The cost of one pool phase with nothing to do: what a split must save to pay off (ParallelFlops).</summary>
    private static void PoolRoundTrip(CultureInfo inv)
    {
        if (Environment.ProcessorCount < 2) return;
        using var pool = new Runtime.WorkerPool(Environment.ProcessorCount - 1);
        var work = new NoWork();
        double ns = MeasureNanoseconds(() => pool.Run(work, 0));
        Console.WriteLine(string.Format(inv, "WorkerPool round trip ({0} threads, empty phase): {1:0.00} µs", pool.Parts, ns / 1000));
        double spin = MeasureNanoseconds(() => Thread.SpinWait(20));
        Console.WriteLine(string.Format(inv, "Thread.SpinWait(20): {0:0.0} ns; a waiting thread spins {1:0.0} µs before it blocks", spin, spin * Runtime.WorkerPool.SpinIterations / 1000));
    }

    /// <summary>Nanoseconds per call of <paramref name="action"/>: calibrated to ~2 ms per timed loop, median of 15 loops.</summary>
    private static double MeasureNanoseconds(Action action)
    {
        for (int i = 0; i < 3; i++) action();
        int reps = 1;
        var sw = new Stopwatch();
        while (true)
        {
            sw.Restart();
            for (int i = 0; i < reps; i++) action();
            if (sw.Elapsed.TotalMilliseconds >= 2 || reps >= 1 << 24) break;
            reps *= 2;
        }
        var ns = new double[15];
        for (int t = 0; t < ns.Length; t++)
        {
            sw.Restart();
            for (int i = 0; i < reps; i++) action();
            ns[t] = sw.Elapsed.TotalNanoseconds / reps;
        }
        Array.Sort(ns);
        return ns[ns.Length / 2];
    }
}
