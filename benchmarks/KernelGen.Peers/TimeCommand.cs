using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using KernelGen.Benchmarks;
using KernelGen.Cli.Networks;
using static TorchSharp.torch;

namespace KernelGen.Peers;

/// <summary>
/// <c>KernelGen.Peers time [--quick]</c>: the .NET peers' side of benchmarks/compare/compare.sh. Times ONNX Runtime
/// Predict at 1, 32, 128 and 256 rows and TorchSharp Predict at those rows and TrainStep at 32, 128 and 256, with the
/// method of <c>kernelgen compare</c>, torch_fashion.py and gemm.c (5 warm-up calls, a loop doubled until it lasts
/// ≥ 10 ms (quick: 2 ms), the median per call of 21 (quick: 5) such loops), over two passes of everything, the faster pass's
/// figure kept per row. Each batch size gets its own KernelGen
/// network (FashionMlp, FashionMlp256 for 256 rows) trained 20 steps, and the peers get its weights and running
/// statistics; before any timing, each peer's Predict must equal KernelGen's within 1e-5 on the rows it is timed on
/// (the <c>check</c> mode's test), else its rows are not printed and a <c>#! PEER unavailable: WHY</c> line says so.
/// Prints compare.sh's raw lines: <c>IMPL OP BATCH MICROSECONDS</c> (tab-separated), <c>#</c> comments, and
/// <c>IMPL managed_bytes.OP BATCH BYTES</c> (managed bytes allocated per call, native allocations not counted).
/// KernelGen is timed in this process too (<c>kernelgen_peers</c>), for reference only: compare.sh's KernelGen column
/// comes from <c>kernelgen compare</c>. Then the GELU/SiLU network (<see cref="GeluMlp"/>) the same way, rows
/// <c>gelu.predict</c> and <c>gelu.train_step</c>, whose KernelGen figures (<c>kernelgen</c>) are timed here.
/// </summary>
internal static class TimeCommand
{
    private const double Tolerance = 1e-5;
    private static readonly int[] PredictRows = { 1, 32, 128, 256 };
    private static readonly int[] TrainRows = { 32, 128, 256 };

    public static int Run(string[] args)
    {
        bool quick = false;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--quick") quick = true;
            else { Console.Error.WriteLine($"time: unknown option '{args[i]}' (use --quick)"); return 2; }
        }
        var timer = new Timer(quick ? 2.0 : 10.0, quick ? 5 : 21);
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        void Row(string impl, string op, int batch, double value) =>
            lines.Add(string.Format(inv, "{0}\t{1}\t{2}\t{3:0.###}", impl, op, batch, value));

        // The peers load independently: a peer that cannot start here is reported, never silently dropped.
        string? ortVersion = null, torchVersion = null, ortWhy = null, torchWhy = null;
        try { ortVersion = OrtVersion(); } catch (Exception e) { ortWhy = $"ONNX Runtime did not load ({Reason(e)})"; }
        try { torchVersion = TorchVersion(); } catch (Exception e) { torchWhy = $"TorchSharp did not load ({Reason(e)}){DlError("libLibTorchSharp.so")}"; }
        double worstOrt = 0, worstTorch = 0;

        // Two passes over every batch size, the faster of the two kept per row: in a single pass, whatever ran in the slot after the
        // first TorchSharp training steps (TorchSharp's own next step, KernelGen or ONNX Runtime) ran 1.6–2.4× slower, pinned to one
        // core (measured; cause not found). Managed bytes: the first pass's.
        var best = new Dictionary<(string Impl, string Op, int Batch), double>();
        void Best(string impl, string op, int batch, double value)
        {
            if (op.StartsWith("managed_bytes.", StringComparison.Ordinal)) { if (!best.ContainsKey((impl, op, batch))) Row(impl, op, batch, value); best[(impl, op, batch)] = value; return; }
            best[(impl, op, batch)] = best.TryGetValue((impl, op, batch), out double v) ? Math.Min(v, value) : value;
        }
        for (int pass = 0; pass < 2; pass++)
        foreach (int rows in PredictRows)
        {
            using var setup = new Setup(rows);
            float[] kernelgen = new float[setup.Outputs.Length];
            setup.Net.Predict(setup.Inputs, kernelgen);

            if (ortWhy == null)
            {
                try
                {
                    double worst = TimeOrt(setup.Net, setup.Inputs, rows, "", kernelgen, timer, Best);
                    worstOrt = Math.Max(worstOrt, worst);
                    if (worst >= Tolerance) ortWhy = $"its Predict differs from KernelGen's at {rows} rows (max |Δp| = {worst:E2} ≥ {Tolerance:E0})";
                }
                catch (Exception e) { ortWhy = $"failed at {rows} rows ({Reason(e)})"; }
            }
            if (torchWhy == null)
            {
                try
                {
                    using var twin = new TorchFashionMlp(setup.Net);
                    double worst = TimeTorch(twin, setup.Inputs, setup.Labels, rows, "", kernelgen, timer, Best, train: Array.IndexOf(TrainRows, rows) >= 0);
                    worstTorch = Math.Max(worstTorch, worst);
                    if (worst >= Tolerance) torchWhy = $"its Predict differs from KernelGen's at {rows} rows (max |Δp| = {worst:E2} ≥ {Tolerance:E0})";
                }
                catch (Exception e) { torchWhy = $"failed at {rows} rows ({Reason(e)})"; }
            }

            // KernelGen in this process (reference for cross-process noise; a fresh network, untouched by the peers).
            Best("kernelgen_peers", "predict", rows, timer.Nanoseconds(() => setup.Net.Predict(setup.Inputs, setup.Outputs)) / 1000);
            Best("kernelgen_peers", "managed_bytes.predict", rows, Timer.Bytes(() => setup.Net.Predict(setup.Inputs, setup.Outputs)));
            if (Array.IndexOf(TrainRows, rows) >= 0)
            {
                Best("kernelgen_peers", "train_step", rows, timer.Nanoseconds(() => setup.Net.TrainStep(setup.Inputs, setup.Labels)) / 1000);
                Best("kernelgen_peers", "managed_bytes.train_step", rows, Timer.Bytes(() => setup.Net.TrainStep(setup.Inputs, setup.Labels)));
            }
        }

        // The GELU/SiLU network (GeluMlp: KernelGen fuses both into the dense epilogue), KernelGen timed here too.
        for (int pass = 0; pass < 2; pass++)
        foreach (int rows in PredictRows)
        {
            using var net = new GeluMlp(seed: 1, threads: 1);
            var rng = new Random(4);
            float[] inputs = new float[rows * GeluMlp.InputSize], outputs = new float[rows * GeluMlp.OutputSize], kernelgen = new float[outputs.Length];
            int[] labels = new int[rows];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)(rng.NextDouble() * 2 - 1);
            for (int i = 0; i < labels.Length; i++) labels[i] = rng.Next(10);
            bool train = Array.IndexOf(TrainRows, rows) >= 0;
            // KernelGen first (its steps change its weights: the peers are built from them after, and checked against a fresh Predict).
            Best("kernelgen", "gelu.predict", rows, timer.Nanoseconds(() => net.Predict(inputs, outputs)) / 1000);
            Best("kernelgen_peers", "managed_bytes.gelu.predict", rows, Timer.Bytes(() => net.Predict(inputs, outputs)));
            if (train)
            {
                Best("kernelgen", "gelu.train_step", rows, timer.Nanoseconds(() => net.TrainStep(inputs, labels)) / 1000);
                Best("kernelgen_peers", "managed_bytes.gelu.train_step", rows, Timer.Bytes(() => net.TrainStep(inputs, labels)));
            }
            net.Predict(inputs, kernelgen);
            if (ortWhy == null)
            {
                try
                {
                    double worst = TimeOrt(net, inputs, rows, "gelu.", kernelgen, timer, Best);
                    worstOrt = Math.Max(worstOrt, worst);
                    if (worst >= Tolerance) ortWhy = $"its Predict differs from KernelGen's on GeluMlp at {rows} rows (max |Δp| = {worst:E2} ≥ {Tolerance:E0})";
                }
                catch (Exception e) { ortWhy = $"failed on GeluMlp at {rows} rows ({Reason(e)})"; }
            }
            if (torchWhy == null)
            {
                try
                {
                    using var twin = new TorchGeluMlp(net);
                    double worst = TimeTorch(twin, inputs, labels, rows, "gelu.", kernelgen, timer, Best, train);
                    worstTorch = Math.Max(worstTorch, worst);
                    if (worst >= Tolerance) torchWhy = $"its Predict differs from KernelGen's on GeluMlp at {rows} rows (max |Δp| = {worst:E2} ≥ {Tolerance:E0})";
                }
                catch (Exception e) { torchWhy = $"failed on GeluMlp at {rows} rows ({Reason(e)})"; }
            }
        }
        foreach (var ((impl, op, batch), value) in best)
            if (!op.StartsWith("managed_bytes.", StringComparison.Ordinal)) Row(impl, op, batch, value);

        Console.WriteLine($"# peers (KernelGen.Peers time): one thread each, median of {timer.Loops} loops of >= {timer.MinMilliseconds.ToString(inv)} ms, {Environment.Version} runtime");
        Console.WriteLine(ortWhy == null
            ? $"# onnxruntime {ortVersion}: KernelGen's OnnxExport (batch norm in inference mode), IOBinding to preallocated OrtValues, 1 intra-op thread, sequential; the networks match: max |Δp| vs KernelGen's Predict = {worstOrt:E2} (< {Tolerance:E0}) over 1/32/128/256 rows"
            : $"#! onnxruntime unavailable: {ortWhy}");
        Console.WriteLine(torchWhy == null
            ? $"# torchsharp {torchVersion}: module-for-module twin with KernelGen's weights and running statistics, AdamW, torch.set_num_threads(1); the networks match: max |Δp| vs KernelGen's Predict = {worstTorch:E2} (< {Tolerance:E0}) over 1/32/128/256 rows"
            : $"#! torchsharp unavailable: {torchWhy}");
        foreach (string line in lines)
        {
            // A peer that failed (or did not match) at some batch has none of its rows printed: all or nothing.
            if (ortWhy != null && line.StartsWith("onnxruntime\t", StringComparison.Ordinal)) continue;
            if (torchWhy != null && line.StartsWith("torchsharp\t", StringComparison.Ordinal)) continue;
            Console.WriteLine(line);
        }
        return 0;
    }

    private static string Reason(Exception e)
    {
        while (e.InnerException != null && e is TypeInitializationException or System.Reflection.TargetInvocationException) e = e.InnerException;
        string[] lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // TorchSharp's load failure is a page of advice; the line naming the missing library or symbol version is the reason.
        string? loader = Array.Find(lines, l => l.Contains("GLIBCXX", StringComparison.Ordinal) || l.Contains("cannot open shared object", StringComparison.Ordinal));
        return $"{e.GetType().Name}: {lines.FirstOrDefault() ?? ""}{(loader != null && loader != lines[0] ? " ... " + loader : "")}";
    }

    /// <summary>TorchSharp's own message does not say why the native library failed; the dynamic loader does.</summary>
    private static string DlError(string library)
    {
        string path = System.IO.Path.Combine(AppContext.BaseDirectory, library);
        try { System.Runtime.InteropServices.NativeLibrary.Free(System.Runtime.InteropServices.NativeLibrary.Load(path)); return ""; }
        catch (Exception e)
        {
            string[] m = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string? why = Array.Find(m, l => l.Contains("GLIBCXX", StringComparison.Ordinal) || l.Contains(": cannot", StringComparison.Ordinal));
            return $"; loading {library} directly: {why ?? m.LastOrDefault()}";
        }
    }

    // Separate methods so that a peer's assembly or native library failing to load throws here, inside a try.
    private static string OrtVersion() => Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString();

    private static string TorchVersion()
    {
        set_num_threads(1);
        return $"{typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(3)} (libtorch {TorchSharp.torch.__version__})";
    }

    /// <summary>ONNX Runtime on KernelGen's export of <paramref name="net"/>: checked against <paramref name="kernelgen"/>, then timed
    /// (rows <c>onnxruntime {prefix}predict</c>); returns the largest difference.</summary>
    private static double TimeOrt(INetwork net, float[] inputs, int rows, string prefix, float[] kernelgen, Timer timer, Action<string, string, int, double> row)
    {
        float[] outputs = new float[kernelgen.Length];
        using var ort = new OrtNetwork(net, inputs, outputs, rows);
        ort.Predict();
        double worst = MaxAbsDiff(kernelgen, outputs);
        if (worst >= Tolerance) return worst;
        row("onnxruntime", prefix + "predict", rows, timer.Nanoseconds(ort.Predict) / 1000);
        row("onnxruntime", "managed_bytes." + prefix + "predict", rows, Timer.Bytes(ort.Predict));
        return worst;
    }

    /// <summary>A TorchSharp twin: checked against <paramref name="kernelgen"/>, then Predict timed and, with <paramref name="train"/>,
    /// TrainStep (rows <c>torchsharp {prefix}predict</c>, <c>{prefix}train_step</c>); returns the largest difference.</summary>
    private static double TimeTorch(TorchTwin twin, float[] x, int[] y, int rows, string prefix, float[] kernelgen, Timer timer,
        Action<string, string, int, double> row, bool train)
    {
        set_num_threads(1);
        float[] outputs = new float[kernelgen.Length];
        using Tensor inputs = tensor(x, new long[] { rows, x.Length / rows });
        using Tensor labels = tensor(Array.ConvertAll(y, l => (long)l), new long[] { rows });
        twin.Predict(inputs, outputs);
        double worst = MaxAbsDiff(kernelgen, outputs);
        if (worst >= Tolerance) return worst;
        row("torchsharp", prefix + "predict", rows, timer.Nanoseconds(() => twin.Predict(inputs, outputs)) / 1000);
        row("torchsharp", "managed_bytes." + prefix + "predict", rows, Timer.Bytes(() => twin.Predict(inputs, outputs)));
        if (train) // after Predict: the steps change the weights
        {
            row("torchsharp", prefix + "train_step", rows, timer.Nanoseconds(() => twin.TrainStep(inputs, labels)) / 1000);
            row("torchsharp", "managed_bytes." + prefix + "train_step", rows, Timer.Bytes(() => twin.TrainStep(inputs, labels)));
        }
        return worst;
    }

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return double.IsNaN(worst) ? double.PositiveInfinity : worst;
    }

    /// <summary>As PeerBase: a FashionMlp (FashionMlp256 above 128 rows), threads: 1, trained 20 steps on random rows
    /// so the running statistics are not the identity; random inputs and labels of <see cref="Rows"/> rows.</summary>
    private sealed class Setup : IDisposable
    {
        public readonly int Rows;
        public readonly IClassifier Net;
        public readonly float[] Inputs, Outputs;
        public readonly int[] Labels;

        public Setup(int rows)
        {
            Rows = rows;
            Net = rows > FashionMlp.BatchSize ? new FashionMlp256(seed: 1, threads: 1) : new FashionMlp(seed: 1, threads: 1);
            int batch = rows > FashionMlp.BatchSize ? FashionMlp256.BatchSize : FashionMlp.BatchSize;
            var rng = new Random(3);
            float[] x = new float[batch * FashionMlp.InputSize];
            int[] y = new int[batch];
            for (int step = 0; step < 20; step++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
                for (int i = 0; i < y.Length; i++) y[i] = rng.Next(10);
                Net.TrainStep(x, y);
            }
            Inputs = new float[rows * FashionMlp.InputSize];
            Outputs = new float[rows * FashionMlp.OutputSize];
            Labels = new int[rows];
            for (int i = 0; i < Inputs.Length; i++) Inputs[i] = (float)(rng.NextDouble() * 2 - 1);
            for (int i = 0; i < Labels.Length; i++) Labels[i] = rng.Next(10);
        }

        public void Dispose() => Net.Dispose();
    }

    /// <summary>kernelgen compare's timer, verbatim: warm-up, a loop calibrated to at least
    /// <see cref="MinMilliseconds"/>, timed <see cref="Loops"/> times; the median per call.</summary>
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

        /// <summary>Managed bytes allocated on this thread per call, over 32 calls after the timing's warm-up.</summary>
        public static double Bytes(Action action)
        {
            const int calls = 32;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++) action();
            return (double)(GC.GetAllocatedBytesForCurrentThread() - before) / calls;
        }
    }
}
