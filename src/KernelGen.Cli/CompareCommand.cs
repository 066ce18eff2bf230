using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using KernelGen.Cli.Networks;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen compare [--quick] [--json]</c>: KernelGen's side of benchmarks/compare/compare.sh. Times FashionMlp's
/// whole training step and Predict at batch 1, 32, 128 and 256 (batch 256 on <see cref="FashionMlp256"/>, the same
/// layers with BatchSize 256), and each dense layer's three GEMM kernels (<c>RunKernel</c>) at the same batches, with
/// the method the peers use: warm-up, a loop calibrated to a minimum duration, the median of repeated loops
/// (Stopwatch). Also the FMA peak (<see cref="FmaPeak"/>) and the time to read the network's parameters once
/// (<see cref="WeightsRead"/>: the floor under a one-row Predict). Nothing is allocated inside a timed loop. Prints one tab-separated line per figure:
/// <c>kernelgen OP BATCH MICROSECONDS</c>, or with --json one JSON line.
/// </summary>
internal static class CompareCommand
{
    /// <summary>The GEMMs of one dense layer, named as compare.sh's C helper and PyTorch script name them.</summary>
    private static readonly (string Name, KernelPass Pass)[] Passes =
    {
        ("fwd", KernelPass.Forward), ("dW", KernelPass.WeightGradient), ("dX", KernelPass.InputGradient),
    };

    private delegate void Kernel(int layer, KernelPass pass, ReadOnlySpan<float> inputs);

    public static int Run(string[] args)
    {
        bool quick = false, json = false;
        int threads = 1; // one core, as the peers; --threads N for the scaling table (compare.sh --scaling)
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--json": json = true; break;
                case "--threads" when i + 1 < args.Length: threads = Program.PositiveInt("--threads", args[++i]); break;
                default: throw new ArgumentException($"compare: unknown option '{args[i]}'.");
            }
        }
        var timer = new Timer(quick ? 2.0 : 10.0, quick ? 5 : 21);
        var results = new List<(string Op, int Batch, double Us)>();

        double peak = 0;
        foreach (int lanes in new[] { 8, 16 })
            peak = Math.Max(peak, FmaPeak.Flops(lanes) / timer.Nanoseconds(() => FmaPeak.Run(lanes)));
        results.Add(("fma_peak_gflops", 0, peak));
        var read = new WeightsRead(FashionMlp.ParameterCount);
        double readNs = timer.Nanoseconds(() => read.Run());
        results.Add(("weights_read", 1, readNs / 1000));
        results.Add(("weights_read_gbps", 1, read.Bytes / readNs));

        using var net128 = new FashionMlp(threads: threads);
        using var net256 = new FashionMlp256(threads: threads);
        var r = new Random(1);
        foreach (int batch in new[] { 1, 32, 128, 256 })
        {
            IClassifier net = batch <= FashionMlp.BatchSize ? net128 : net256;
            Kernel kernel = batch <= FashionMlp.BatchSize ? net128.RunKernel : net256.RunKernel;
            NetworkInfo info = batch <= FashionMlp.BatchSize ? FashionMlp.Info : FashionMlp256.Info;
            var inputs = new float[batch * FashionMlp.InputSize];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)r.NextDouble();
            var labels = new int[batch];
            for (int i = 0; i < batch; i++) labels[i] = r.Next(FashionMlp.OutputSize);
            var outputs = new float[batch * FashionMlp.OutputSize];

            // Batch norm in training mode needs two rows (PyTorch refuses one too): batch 1 has no training step;
            // its GEMMs run on the operands a two-row step left in the workspace.
            if (batch >= 2)
                results.Add(("train_step", batch, timer.Nanoseconds(() => net.TrainStep(inputs, labels)) / 1000));
            var prime = new float[Math.Max(batch, 2) * FashionMlp.InputSize];
            inputs.AsSpan().CopyTo(prime);
            var primeLabels = new int[Math.Max(batch, 2)];
            net.ComputeGradients(prime, primeLabels);
            results.Add(("predict", batch, timer.Nanoseconds(() => net.Predict(inputs, outputs)) / 1000));

            int dense = 0;
            for (int layer = 0; layer < info.Layers.Count; layer++)
            {
                if (info.Layers[layer].Kind != LayerKind.Dense) continue;
                dense++;
                foreach (var (name, pass) in Passes)
                {
                    if (pass == KernelPass.InputGradient && dense == 1) continue; // the first layer's dX is never computed
                    int l = layer;
                    results.Add(($"gemm.fc{dense}.{name}", batch, timer.Nanoseconds(() => kernel(l, pass, inputs)) / 1000));
                }
            }
        }

        var inv = CultureInfo.InvariantCulture;
        if (json)
        {
            var sb = new StringBuilder("{\"impl\": \"kernelgen\", \"isa\": \"").Append(net128.Isa).Append("\", \"results\": [");
            for (int i = 0; i < results.Count; i++)
                sb.Append(i == 0 ? "" : ", ").Append(string.Format(inv, "{{\"op\": \"{0}\", \"batch\": {1}, \"us\": {2:0.###}}}", results[i].Op, results[i].Batch, results[i].Us));
            Console.WriteLine(sb.Append("]}").ToString());
        }
        else
        {
            Console.WriteLine($"# kernelgen compare: FashionMlp, {net128.Isa} kernels, median of {timer.Loops} loops of >= {timer.MinMilliseconds.ToString(inv)} ms");
            foreach (var (op, batch, us) in results)
                Console.WriteLine(string.Format(inv, "kernelgen\t{0}\t{1}\t{2:0.###}", op, batch, us));
        }
        return 0;
    }

    /// <summary>Warm-up, then a loop calibrated to at least <see cref="MinMilliseconds"/>, timed <see cref="Loops"/> times; the median per call.</summary>
    private sealed class Timer
    {
        public Timer(double minMilliseconds, int loops) => (MinMilliseconds, Loops, _ns) = (minMilliseconds, loops, new double[loops]);

        public double MinMilliseconds { get; }
        public int Loops { get; }
        private readonly double[] _ns;
        private readonly Stopwatch _sw = new();

        public double Nanoseconds(Action action)
        {
            for (int i = 0; i < 5; i++) action();
            int reps = 1;
            while (true)
            {
                _sw.Restart();
                for (int i = 0; i < reps; i++) action();
                if (_sw.Elapsed.TotalMilliseconds >= MinMilliseconds || reps >= 1 << 24) break;
                reps *= 2;
            }
            for (int t = 0; t < Loops; t++)
            {
                _sw.Restart();
                for (int i = 0; i < reps; i++) action();
                _ns[t] = _sw.Elapsed.TotalNanoseconds / reps;
            }
            Array.Sort(_ns);
            return _ns[Loops / 2];
        }
    }
}
