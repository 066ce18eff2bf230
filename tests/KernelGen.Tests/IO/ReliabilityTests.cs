using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using KernelGen.Data;
using KernelGen.Runtime;
using KernelGen.Training;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Issue 18, "nothing lost, nothing hangs": each test reproduces one case of the issue (it failed before the fix) and
/// checks the promise docs/reliability.md makes for it. Loops are seeded, so every run tries the same inputs.
/// </summary>
public class ReliabilityTests
{
    private static float[] Rows(int rows, int width, int seed)
    {
        var r = new Random(seed);
        var x = new float[rows * width];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        return x;
    }

    private static int[] Labels(int rows, int classes, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ => r.Next(classes)).ToArray();
    }

    /// <summary>How long <see cref="RunBoth"/> waits before it calls the work hung.</summary>
    private static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs both on their own threads; false when either is still running after <see cref="HangTimeout"/> (a hang).</summary>
    private static bool RunBoth(Action a, Action b)
    {
        Task[] tasks = { Task.Factory.StartNew(a, TaskCreationOptions.LongRunning), Task.Factory.StartNew(b, TaskCreationOptions.LongRunning) };
        try
        {
            return Task.WaitAll(tasks, HangTimeout);
        }
        catch (AggregateException e)
        {
            throw new Xunit.Sdk.XunitException("a thread failed: " + e.InnerExceptions[0]);
        }
    }

    private static Gate GateOf(object net) => (Gate)net.GetType().GetField("_gate", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(net)!;

    // ---- case 8: concurrent entry is an exception, never a hang or a wrong answer

    [Fact]
    public void Case8_a_second_thread_entering_throws_naming_the_rule_and_changes_nothing()
    {
        using var net = new ThreadNet(seed: 4, threads: 2);
        float[] x = Rows(ThreadNet.BatchSize, ThreadNet.InputSize, 1);
        int[] y = Labels(ThreadNet.BatchSize, ThreadNet.OutputSize, 2);
        float[] before = net.Parameters.ToArray();
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        // Another thread holds the network (as it would in the middle of a TrainStep).
        var holder = new Thread(() =>
        {
            using (GateOf(net).Enter("TrainStep"))
            {
                inside.Set();
                release.Wait();
            }
        });
        holder.Start();
        inside.Wait();
        try
        {
            var calls = new (string Name, Action Call)[]
            {
                ("TrainStep", () => net.TrainStep(x, y)),
                ("ComputeGradients", () => net.ComputeGradients(x, y)),
                ("ApplyUpdate", () => net.ApplyUpdate()),
                ("Evaluate", () => net.Evaluate(x, y)),
                ("Predict", () => net.Predict(x, new float[ThreadNet.BatchSize * ThreadNet.OutputSize])),
                ("RunKernel", () => net.RunKernel(0, KernelPass.Forward, x)),
                ("Dispose", () => net.Dispose()),
            };
            foreach (var (name, call) in calls)
            {
                var e = Assert.Throws<InvalidOperationException>(call);
                Assert.StartsWith(name, e.Message);
                Assert.Contains("not thread-safe", e.Message);
            }
        }
        finally
        {
            release.Set();
            holder.Join();
        }
        Assert.Equal(before, net.Parameters.ToArray());
        net.TrainStep(x, y); // free again once the other thread left
        Assert.Equal(1, net.Step);
    }

    [Fact]
    public void Case8_two_threads_training_one_threaded_network_never_hang()
    {
        // Before: two threads calling TrainStep on one threads: 2 network deadlocked in the worker pool.
        using var net = new ThreadNet(seed: 4, threads: 2);
        float[] x = Rows(ThreadNet.BatchSize, ThreadNet.InputSize, 1);
        int[] y = Labels(ThreadNet.BatchSize, ThreadNet.OutputSize, 2);
        int refused = 0, done = 0;
        // At least 3 s of steps, then on until a concurrent entry was seen; never past 30 s.
        using var minimum = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        void Loop()
        {
            while (!minimum.IsCancellationRequested || Volatile.Read(ref refused) == 0)
            {
                if (limit.IsCancellationRequested) return;
                try { net.TrainStep(x, y); Interlocked.Increment(ref done); }
                catch (InvalidOperationException e) when (e.Message.Contains("not thread-safe")) { Interlocked.Increment(ref refused); }
            }
        }
        Assert.True(RunBoth(Loop, Loop), "TrainStep from two threads hung");
        Assert.True(refused > 0, $"no concurrent entry was seen in {done} steps");
        Assert.Equal(done, net.Step); // every step that returned was one whole step
    }

    [Fact]
    public void Case8_concurrent_Predict_never_returns_a_wrong_answer()
    {
        // Before: 286 of 400 concurrent Predicts gave another call's (or a mixed) answer.
        using var net = new ThreadNet(seed: 4, threads: 2);
        const int rows = 2 * ThreadNet.BatchSize + 3;
        float[][] inputs = { Rows(rows, ThreadNet.InputSize, 7), Rows(rows, ThreadNet.InputSize, 8) };
        float[][] expected = inputs.Select(x => { var p = new float[rows * ThreadNet.OutputSize]; net.Predict(x, p); return p; }).ToArray();
        int refused = 0, wrong = 0, right = 0;
        // At least 2 s of calls, then on until a concurrent entry was seen; never past 30 s.
        using var minimum = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        void Loop(int k)
        {
            var p = new float[rows * ThreadNet.OutputSize];
            while (!minimum.IsCancellationRequested || (Volatile.Read(ref refused) == 0 && !limit.IsCancellationRequested))
            {
                try
                {
                    net.Predict(inputs[k], p);
                    if (p.AsSpan().SequenceEqual(expected[k])) Interlocked.Increment(ref right);
                    else Interlocked.Increment(ref wrong);
                }
                catch (InvalidOperationException) { Interlocked.Increment(ref refused); }
            }
        }
        Assert.True(RunBoth(() => Loop(0), () => Loop(1)), "Predict from two threads hung");
        Assert.Equal(0, wrong);
        Assert.True(refused > 0 && right > 0, $"refused {refused}, right {right}");
    }

    // ---- case 9: outputs overlapping inputs

    [Fact]
    public void Case9_outputs_overlapping_the_inputs_are_refused_and_separate_slices_of_one_array_are_fine()
    {
        using var net = new TinyRegressor();
        const int rows = 12; // more than BatchSize (5): the first chunk's outputs land on later inputs
        float[] x = Rows(rows, TinyRegressor.InputSize, 3);
        var expected = new float[rows * TinyRegressor.OutputSize];
        net.Predict(x, expected);
        int inLength = x.Length, outLength = expected.Length;
        var shared = new float[inLength + outLength];
        for (int offset = 0; offset <= inLength; offset++)
        {
            Array.Clear(shared);
            x.CopyTo(shared, 0);
            Span<float> outputs = shared.AsSpan(offset, outLength);
            if (offset < inLength)
            {
                var e = Assert.Throws<ArgumentException>(() => net.Predict(shared.AsSpan(0, inLength), shared.AsSpan(offset, outLength)));
                Assert.Equal("outputs", e.ParamName);
                Assert.Equal(x, shared.AsSpan(0, inLength).ToArray()); // refused before anything was written
            }
            else
            {
                net.Predict(shared.AsSpan(0, inLength), outputs);
                Assert.Equal(expected, outputs.ToArray());
            }
        }
    }

    // ---- case 17: every member throws ObjectDisposedException after Dispose

    public static TheoryData<string> Disposables() => new() { nameof(DigitsNet), nameof(TinyRegressor), nameof(FashionMlp) };

    private static INetwork Create(string name) => name switch
    {
        nameof(DigitsNet) => new DigitsNet(),
        nameof(TinyRegressor) => new TinyRegressor(),
        _ => new FashionMlp(threads: 1),
    };

    [Theory]
    [MemberData(nameof(Disposables))]
    public void Case17_every_member_but_Dispose_throws_ObjectDisposedException_after_Dispose(string network)
    {
        INetwork net = Create(network);
        net.Dispose();
        net.Dispose(); // twice is fine
        Type type = net.GetType();
        var spanMembers = new Dictionary<string, Action>
        {
            ["Parameters"] = () => _ = net.Parameters.Length,
            ["Gradients"] = () => _ = net.Gradients.Length,
            ["RunningStatistics"] = () => _ = net.RunningStatistics.Length,
            ["OptimizerState"] = () => _ = net.OptimizerState(0).Length,
            ["Predict"] = () => net.Predict(new float[net.Info.Inputs], new float[net.Info.Outputs]),
            ["RunKernel"] = () => RunKernel(net),
            ["TrainStep"] = () => Train(net, "TrainStep"),
            ["ComputeGradients"] = () => Train(net, "ComputeGradients"),
            ["Evaluate"] = () => Train(net, "Evaluate"),
        };
        var checkedMembers = new List<string>();
        foreach (var (name, call) in spanMembers)
        {
            var e = Record.Exception(call);
            Assert.True(e is ObjectDisposedException, $"{network}.{name} after Dispose: {e?.GetType().Name ?? "no exception"}");
            checkedMembers.Add(name);
        }
        foreach (PropertyInfo p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (spanMembers.ContainsKey(p.Name)) continue;
            var e = Record.Exception(() => p.GetValue(net));
            Assert.True(e is TargetInvocationException { InnerException: ObjectDisposedException }, $"{network}.{p.Name} get after Dispose: {e?.GetType().Name ?? "no exception"}");
            if (p.CanWrite && p.SetMethod!.IsPublic)
            {
                object? value = p.PropertyType == typeof(bool) ? true : p.PropertyType == typeof(long) ? 1L : p.PropertyType == typeof(float) ? 0.5f : null;
                e = Record.Exception(() => p.SetValue(net, value));
                Assert.True(e is TargetInvocationException { InnerException: ObjectDisposedException }, $"{network}.{p.Name} set after Dispose: {e?.GetType().Name ?? "no exception"}");
            }
            checkedMembers.Add(p.Name);
        }
        int firstLayerWithParameters = net.Info.Layers.ToList().FindIndex(l => l.WeightOffset >= 0);
        foreach (MethodInfo m in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Where(m => !m.IsSpecialName))
        {
            if (spanMembers.ContainsKey(m.Name) || m.Name == "Dispose") continue;
            object?[] args = m.GetParameters().Select(p => p.ParameterType == typeof(int) ? firstLayerWithParameters : p.ParameterType == typeof(bool) ? (object)true : null).ToArray();
            var e = Record.Exception(() => m.Invoke(net, args));
            Assert.True(e is TargetInvocationException { InnerException: ObjectDisposedException }, $"{network}.{m.Name} after Dispose: {e?.GetType().Name ?? "no exception"} {e?.InnerException?.Message}");
            checkedMembers.Add(m.Name);
        }
        // The ones the issue found working after Dispose.
        Assert.Contains("Step", checkedMembers);
        Assert.Contains("SetFrozen", checkedMembers);
        Assert.Contains("Training", checkedMembers);
    }

    private static void RunKernel(INetwork net)
    {
        var x = new float[net.Info.Inputs];
        switch (net)
        {
            case DigitsNet d: d.RunKernel(0, KernelPass.Forward, x); break;
            case TinyRegressor t: t.RunKernel(0, KernelPass.Forward, x); break;
            case FashionMlp f: f.RunKernel(0, KernelPass.Forward, x); break;
        }
    }

    private static void Train(INetwork net, string method)
    {
        var x = new float[2 * net.Info.Inputs];
        if (net is IClassifier c)
        {
            var y = new int[2];
            if (method == "TrainStep") c.TrainStep(x, y);
            else if (method == "ComputeGradients") c.ComputeGradients(x, y);
            else c.Evaluate(x, y);
        }
        else
        {
            var r = (IRegressor)net;
            var y = new float[2 * net.Info.Outputs];
            if (method == "TrainStep") r.TrainStep(x, y);
            else if (method == "ComputeGradients") r.ComputeGradients(x, y);
            else r.Evaluate(x, y);
        }
    }

    // ---- case 7: a cut or damaged .csv.gz is refused, never read as fewer rows

    private static byte[] Gzip(string text)
    {
        var memory = new MemoryStream();
        using (var gz = new GZipStream(memory, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(Encoding.UTF8.GetBytes(text));
        return memory.ToArray();
    }

    private static string CsvText(int rows, int seed)
    {
        var r = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < rows; i++) text.Append($"{r.Next(17)},{r.NextDouble():R},{r.Next(100) - 50},{r.Next(3)}\n");
        return text.ToString();
    }

    [Fact]
    public void Case7_the_CRC_is_the_standard_CRC_32()
        => Assert.Equal(0xCBF43926u, ~Crc32.Append(Crc32.Initial, "123456789"u8)); // the catalogued check value of CRC-32/ISO-HDLC

    [Fact]
    public void Case7_every_cut_length_of_a_gzip_csv_is_refused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("data.csv.gz");
        string text = CsvText(300, 18);
        byte[] full = Gzip(text);
        File.WriteAllBytes(path, full);
        Dataset all = Csv.Read(path);
        Assert.Equal(300, all.Count);
        // Seeded: 250 cut lengths (and always the last 1..8 bytes, the trailer) of the ~4 kB file.
        var r = new Random(7);
        IEnumerable<int> cuts = Enumerable.Range(1, 8).Select(k => full.Length - k).Concat(Enumerable.Range(0, 250).Select(_ => r.Next(full.Length)));
        int refused = 0;
        foreach (int cut in cuts)
        {
            File.WriteAllBytes(path, full[..cut]);
            var e = Record.Exception(() => Csv.Read(path));
            Assert.True(e is InvalidDataException, $"cut at {cut} of {full.Length}: {(e is null ? "loaded" : e.GetType().Name)}");
            Assert.Contains(path, e!.Message);
            refused++;
        }
        Assert.Equal(258, refused);
    }

    [Fact]
    public void Case7_a_flipped_bit_in_a_gzip_csv_is_refused_or_changes_nothing()
    {
        using var dir = new TempDirectory();
        string path = dir.File("data.csv.gz");
        byte[] full = Gzip(CsvText(200, 19));
        File.WriteAllBytes(path, full);
        Dataset original = Csv.Read(path);
        var r = new Random(8);
        int refused = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] flipped = (byte[])full.Clone();
            flipped[r.Next(flipped.Length)] ^= (byte)(1 << r.Next(8));
            File.WriteAllBytes(path, flipped);
            Dataset? d = null;
            var e = Record.Exception(() => d = Csv.Read(path));
            if (e is not null) { Assert.IsType<InvalidDataException>(e); refused++; continue; }
            // Loaded: only if the flip was in a field that does not reach the data (the header's time or OS byte).
            Assert.Equal(original.Features, d!.Features);
            Assert.Equal(original.Labels, d.Labels);
        }
        Assert.True(refused > 250, $"{refused} of 300 refused");
    }

    // ---- case 13: CSV labels, scale, NUL

    [Fact]
    public void Case13_csv_label_int_MaxValue_scale_and_NUL_are_data_errors_naming_the_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("d.csv");
        File.WriteAllText(path, $"1,2,0\n3,4,{int.MaxValue}\n");
        var e = Assert.Throws<InvalidDataException>(() => Csv.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("line 2", e.Message);

        File.WriteAllText(path, "1,2,0\n3\0,4,1\n");
        e = Assert.Throws<InvalidDataException>(() => Csv.Read(path));
        Assert.Contains("NUL", e.Message);

        File.WriteAllText(path, "1,2,0\n3e30,4,1\n");
        e = Assert.Throws<InvalidDataException>(() => Csv.Read(path, new CsvOptions { Scale = 1e10f }));
        Assert.Contains("line 2", e.Message);

        foreach (float scale in new[] { float.NaN, float.PositiveInfinity, 0f })
        {
            var a = Assert.Throws<ArgumentOutOfRangeException>(() => Csv.Read(path, new CsvOptions { Scale = scale }));
            Assert.Equal("options.Scale", a.ParamName);
        }
    }

    // ---- case 14: hyper-parameter ranges beyond float are refused before any trial

    [Theory]
    [InlineData(1e-3, 1e39, 0, 0)]
    [InlineData(1e-50, 1e-3, 0, 0)]
    [InlineData(1e-3, 1e-2, 1e-60, 1e-3)]
    [InlineData(1e-3, 1e-2, 1e-3, 1e40)]
    public void Case14_search_ranges_beyond_float_are_refused_before_any_trial(double lrMin, double lrMax, double wdMin, double wdMax)
    {
        Dataset d = Digits.Load();
        int created = 0;
        var e = Assert.Throws<ArgumentException>(() => HyperSearch.Run(s => { created++; return new DigitsNet(seed: s); }, d, d, new SearchSpace(lrMin, lrMax, wdMin, wdMax)));
        Assert.Equal("space", e.ParamName);
        Assert.Contains("float", e.Message);
        Assert.Equal(0, created);
    }

    // ---- case 16: subnormal inputs are not flushed (documented; the cost is SubnormalBenchmarks')

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Case16_subnormal_inputs_give_what_zeros_give(Isa isa)
    {
        // Not flushed: the single-thread path reads the caller's span directly (no copy to flush in), and flushing would
        // change results bit for bit. What a user relies on is checked here: a subnormal input contributes nothing a
        // float can show, so outputs and loss equal those of zeros (to 1e-6), at every width.
        // The time per step (normal, subnormal, zero inputs) is measured by benchmarks/KernelGen.Benchmarks/SubnormalBenchmarks.cs.
        const int rows = DigitsNet.BatchSize;
        var subnormal = new float[rows * DigitsNet.InputSize];
        var r = new Random(16);
        for (int i = 0; i < subnormal.Length; i++) subnormal[i] = (float)(r.NextDouble() * 1e-39);
        Assert.All(subnormal, v => Assert.True(v == 0 || float.IsSubnormal(v)));
        Assert.Contains(subnormal, v => float.IsSubnormal(v));
        var zeros = new float[subnormal.Length];
        int[] y = Labels(rows, DigitsNet.OutputSize, 16);
        DigitsNet a, b;
        try { a = new DigitsNet(isa: isa, threads: 1); } catch (ArgumentException) { return; } // not on this CPU
        b = new DigitsNet(isa: isa, threads: 1);
        using (a)
        using (b)
        {
            var pa = new float[rows * DigitsNet.OutputSize];
            var pb = new float[pa.Length];
            a.Predict(subnormal, pa);
            b.Predict(zeros, pb);
            Assert.All(pa, v => Assert.True(float.IsFinite(v)));
            for (int i = 0; i < pa.Length; i++) Assert.Equal(pb[i], pa[i], 1e-6f);
            Assert.Equal(b.TrainStep(zeros, y), a.TrainStep(subnormal, y), 1e-6f);
            // Later steps part ways: the hidden biases start at 0, so on zeros every ReLU input is exactly 0 and passes no
            // gradient (f′(0) = 0), while a tiny positive one from subnormal inputs passes it. Training stays finite.
            for (int step = 1; step < 4; step++)
            {
                float loss = a.TrainStep(subnormal, y);
                Assert.True(float.IsFinite(loss), $"step {step}: loss {loss}");
            }
            Assert.All(a.Parameters.ToArray(), v => Assert.True(float.IsFinite(v)));
        }
    }
}
