using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using KernelGen.Runtime;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Odd widths, coupled decay and GELU (fused into the dense layer, f′ kept), big enough that every dense phase and the update are split.</summary>
[Network(Inputs = 301, BatchSize = 61, Seed = 9)]
[Dense(257, Init = Init.HeNormal)] [Activation(Act.ReLU)]
[Dense(131)] [Activation(Act.GELU)]
[Dense(7)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f, WeightDecay = 1e-3f)]
public partial class ThreadNet;

/// <summary>GELU and SiLU fused into batch norms (f′ kept by the store pass, a dropout fused too), split by features over the threads
/// (61 × 135 ≥ 8,192 elements: the second one splits too, its last share with a tail at every width).</summary>
[Network(Inputs = 301, BatchSize = 61, Seed = 10)]
[Dense(256, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.GELU)] [Dropout(0.1f)]
[Dense(135)] [BatchNorm] [Activation(Act.SiLU)]
[Dense(7)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class NormThreadNet;

/// <summary>PReLU fused into both dense layers (α per unit in the epilogue, the pre-activation kept): the packed forward split by
/// output panels (257 = 8 Vector512 panels + 1 output), the canonical one (15 or 13 rows) by outputs, each thread writing its share of both arrays.</summary>
[Network(Inputs = 301, BatchSize = 61, Seed = 11)]
[Dense(257, Init = Init.HeNormal)] [Activation(Act.PReLU)]
[Dense(131)] [Activation(Act.PReLU, Alpha = 0.1f)]
[Dense(7)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class PReLUThreadNet;

/// <summary>Layer norm with phases big enough to split (61 rows × 257 and × 131 features): forward and dx by rows, dγ and dβ by features.</summary>
[Network(Inputs = 301, BatchSize = 61, Seed = 10)]
[Dense(257, Init = Init.HeNormal)] [LayerNorm] [Activation(Act.ReLU)]
[Dense(131)] [LayerNorm(Epsilon = 1e-4f)] [Activation(Act.GELU)]
[Dense(7)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class LayerNormThreadNet;

/// <summary>Issue 6: results do not depend on the thread count; no allocation; clean shutdown; worker exceptions surface.</summary>
[Collection("Allocation")]
public class ThreadingTests
{
    public static TheoryData<string, Isa> Cases()
    {
        var data = new TheoryData<string, Isa>();
        foreach (string n in Networks.SkipLarge ? new[] { nameof(ThreadNet), nameof(LayerNormThreadNet), nameof(NormThreadNet), nameof(PReLUThreadNet), nameof(TallBatchNet) } : new[] { nameof(FashionMlp), nameof(ThreadNet), nameof(LayerNormThreadNet), nameof(NormThreadNet), nameof(PReLUThreadNet), nameof(TallBatchNet) })
            foreach (Isa isa in Networks.Widths)
                data.Add(n, isa);
        return data;
    }

    private static IClassifier Create(string name, Isa isa, int threads) => name switch
    {
        nameof(FashionMlp) => new FashionMlp(seed: 4, isa: isa, threads: threads),
        nameof(LayerNormThreadNet) => new LayerNormThreadNet(seed: 4, isa: isa, threads: threads),
        nameof(TallBatchNet) => new TallBatchNet(seed: 4, isa: isa, threads: threads),
        nameof(NormThreadNet) => new NormThreadNet(seed: 4, isa: isa, threads: threads),
        nameof(PReLUThreadNet) => new PReLUThreadNet(seed: 4, isa: isa, threads: threads),
        _ => new ThreadNet(seed: 4, isa: isa, threads: threads),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Parameters_are_bit_identical_for_1_2_and_3_threads(string network, Isa isa)
    {
        int steps = isa == Isa.Scalar || !IsaSupport.IsAccelerated(isa) ? 8 : 100;
        int[][] results = new int[3][];
        for (int threads = 1; threads <= 3; threads++)
        {
            using IClassifier net = Create(network, isa, threads);
            Assert.Equal(threads, net switch { FashionMlp f => f.Threads, LayerNormThreadNet l => l.Threads, TallBatchNet t => t.Threads, NormThreadNet b => b.Threads, PReLUThreadNet q => q.Threads, _ => ((ThreadNet)net).Threads });
            var r = new Random(11);
            int batch = net.Info.BatchSize;
            float[] x = Enumerable.Range(0, batch * net.Info.Inputs).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
            int[] y = Enumerable.Range(0, batch).Select(_ => r.Next(net.Info.Outputs)).ToArray();
            for (int s = 0; s < steps; s++)
            {
                // Some partial batches (other row splits), and 15 or 13 rows: the canonical kernels (under PackedTrainingRows), whose larger phases
                // still split (ThreadNet's GELU layer: 15 × 257 × 131 × 2 ≥ 1 MFLOP), the layers wider than the batch by outputs, each
                // thread writing its share of every row and of the kept f′; 13 rows leave lone rows after the row tiles (their own split).
                int rows = s % 5 == 4 ? batch - 3 - s % 7 : s % 10 == 2 ? 15 : s % 10 == 7 ? 13 : batch;
                net.TrainStep(x.AsSpan(0, rows * net.Info.Inputs), y.AsSpan(0, rows));
            }
            results[threads - 1] = net.Parameters.ToArray().Concat(net.RunningStatistics.ToArray()).Select(BitConverter.SingleToInt32Bits).ToArray();
        }
        Assert.Equal(results[0], results[1]);
        Assert.Equal(results[0], results[2]);
    }

    [Fact]
    public void Threaded_training_allocates_nothing()
    {
        using var net = new FashionMlp(threads: 2);
        using var small = new ThreadNet(threads: 3);
        int rounds = Networks.SkipLarge ? 30 : 1000; // every vector op emulated (KG_SKIP_LARGE=1): fewer rounds
        var r = new Random(3);
        float[] x = Enumerable.Range(0, 128 * 784).Select(_ => (float)r.NextDouble()).ToArray();
        int[] y = Enumerable.Range(0, 128).Select(_ => r.Next(10)).ToArray();
        float[] x2 = x.AsSpan(0, 61 * 301).ToArray();
        int[] y2 = y.Take(61).Select(v => v % 7).ToArray();
        for (int i = 0; i < 20; i++) { net.TrainStep(x, y); small.TrainStep(x2, y2); }
        GC.Collect();
        // Four windows: a steady allocation (per step, on the caller or on a worker) shows in every one; the runtime's one-off
        // work (tiering, on-stack replacement on a loaded machine) in one at most. The workers' bytes come from the pools
        // (WorkerPool.WorkerAllocatedBytes), so a kernel that allocates on a worker fails too (tried: 8 bytes per phase on each
        // worker read 61–72 kB per window).
        WorkerPool[] pools = new object[] { net, small }.Select(n => (WorkerPool)n.GetType()
            .GetField("_pool", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(n)!).ToArray();
        long Workers() // no LINQ here: it would allocate on the calling thread inside the windows
        {
            long sum = 0;
            for (int i = 0; i < pools.Length; i++) sum += pools[i].WorkerAllocatedBytes;
            return sum;
        }
        var caller = new long[4];
        var workers = new long[4];
        for (int w = 0; w < caller.Length; w++)
        {
            long theirs = Workers(), mine = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rounds / caller.Length; i++) { net.TrainStep(x, y); small.TrainStep(x2, y2); }
            caller[w] = GC.GetAllocatedBytesForCurrentThread() - mine;
            workers[w] = Workers() - theirs;
        }
        Assert.True(caller.Count(b => b != 0) <= 1, $"bytes allocated on the calling thread per window of {rounds / caller.Length} rounds: {string.Join(", ", caller)}");
        Assert.True(workers.Count(b => b != 0) <= 1, $"bytes allocated on the worker threads per window of {rounds / caller.Length} rounds: {string.Join(", ", workers)}");
    }

    [Fact]
    public void Threads_argument_is_checked_and_small_networks_stay_on_one_thread()
    {
        Assert.Throws<ArgumentOutOfRangeException>("threads", () => new FashionMlp(threads: 0));
        Assert.Throws<ArgumentOutOfRangeException>("threads", () => new FashionMlp(threads: 257));
        using var digits = new DigitsNet(threads: 4);
        Assert.Equal(1, digits.Threads);
        using var one = new FashionMlp(seed: 2, threads: 1);
        Assert.Equal(1, one.Threads);
        using var auto = new FashionMlp();
        Assert.Equal(Environment.ProcessorCount, auto.Threads);
    }

    [Fact]
    public void Dispose_stops_every_worker()
    {
        using var pool = new WorkerPool(3);
        Assert.Equal(3, pool.LiveWorkers);
        pool.Dispose();
        Assert.Equal(0, pool.LiveWorkers);

        int before = Process.GetCurrentProcess().Threads.Count;
        for (int i = 0; i < 20; i++)
        {
            using var net = new ThreadNet(threads: 4);
            net.TrainStep(new float[2 * 301], new[] { 1, 2 });
        }
        Thread.Sleep(100);
        int after = Process.GetCurrentProcess().Threads.Count;
        Assert.True(after - before < 10, $"{after - before} threads more after 20 networks of 3 workers were disposed");
    }

    private sealed class Throwing : IParallelPhases
    {
        public int ThrowOn = -1;
        public int[] Seen = new int[4 * WorkerPool.ChunksPerThread];
        public void RunPart(int phase, int part, int parts)
        {
            Interlocked.Increment(ref Seen[part]);
            if (part == ThrowOn) throw new InvalidOperationException($"part {part} failed");
        }
    }

    [Fact]
    public void An_exception_in_a_worker_surfaces_and_the_pool_stays_usable()
    {
        using var pool = new WorkerPool(3);
        var work = new Throwing { ThrowOn = 2 };
        var e = Assert.Throws<InvalidOperationException>(() => pool.Run(work, 0));
        Assert.Equal("part 2 failed", e.Message);
        Assert.Equal(work.Seen.Length, pool.Chunks);
        Assert.All(work.Seen, n => Assert.Equal(1, n)); // every chunk ran, once, before Run returned
        work.ThrowOn = 0;
        Assert.Throws<InvalidOperationException>(() => pool.Run(work, 0)); // the caller's own part
        work.ThrowOn = -1;
        pool.Run(work, 0);
        Assert.All(work.Seen, n => Assert.Equal(3, n));

        // A network whose step throws (bad input, before any phase) stays usable, threads and all.
        using var net = new ThreadNet(threads: 3);
        Assert.Throws<ArgumentException>(() => net.TrainStep(new float[2 * 301], new[] { 1, 9 }));
        float loss = net.TrainStep(new float[2 * 301], new[] { 1, 2 });
        Assert.True(float.IsFinite(loss));
    }

    /// <summary>Records which thread ran each chunk; the first chunk a chosen worker runs blocks until released.</summary>
    private sealed class Stalling : IParallelPhases
    {
        public readonly string?[] RanOn;
        public readonly ManualResetEventSlim Release = new(false);
        public string StallOn = "";
        public int Stalled;
        public Stalling(int chunks) => RanOn = new string?[chunks];

        public void RunPart(int phase, int part, int parts)
        {
            string name = Thread.CurrentThread.Name ?? "caller";
            if (Interlocked.CompareExchange(ref RanOn[part], name, null) is not null) throw new InvalidOperationException($"chunk {part} ran twice");
            if (name == StallOn && Interlocked.Exchange(ref Stalled, 1) == 0) Release.Wait(TimeSpan.FromSeconds(30));
            else Thread.Sleep(2); // long enough for worker 1 to wake and claim one of its own chunks
        }
    }

    [Fact]
    public async Task A_stalled_worker_holds_up_only_the_chunk_it_is_in()
    {
        // A worker descheduled by the OS (here: blocked in its first chunk) must not keep its other chunks: the caller
        // and the other worker take them, so all but that one chunk finish while it stalls.
        using var pool = new WorkerPool(2);
        var work = new Stalling(pool.Chunks) { StallOn = "KernelGen worker 1" };
        var run = Task.Run(() => pool.Run(work, 0));
        var deadline = Task.Delay(TimeSpan.FromSeconds(20));
        while (work.RanOn.Count(n => n is not null) < pool.Chunks && !deadline.IsCompleted) Thread.Sleep(5);
        bool othersFinishedWhileStalled = !run.IsCompleted && work.RanOn.All(n => n is not null);
        string ranOn = string.Join(", ", work.RanOn.Select(n => n ?? "-"));
        work.Release.Set();
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20))) == run, "Run did not return after the stalled chunk was released");
        await run;
        Assert.Equal(1, Volatile.Read(ref work.Stalled)); // worker 1 woke within the others' 2 ms chunks and took one
        Assert.True(othersFinishedWhileStalled, $"while worker 1 stalled, chunks ran on: {ranOn}");
        Assert.Equal(1, work.RanOn.Count(n => n == "KernelGen worker 1")); // it kept only the chunk it was in
    }

    [Fact]
    public void Rows_cover_every_row_once_in_whole_units()
    {
        for (int rows = 0; rows < 70; rows++)
            for (int parts = 1; parts < 13; parts++)
            {
                int next = 0;
                for (int p = 0; p < parts; p++)
                {
                    (int a, int b) = WorkerPool.Rows(rows, p, parts);
                    if (a == b) continue;
                    Assert.Equal(next, a);
                    Assert.True(b > a);
                    Assert.True(b == rows || (b - a) % WorkerPool.RowUnit == 0, $"{rows} rows, part {p} of {parts}: [{a}, {b})");
                    next = b;
                }
                Assert.Equal(rows, next);
            }
    }

    [Fact]
    public void Range_covers_every_unit_once()
    {
        for (int units = 0; units < 50; units++)
            for (int parts = 1; parts < 9; parts++)
            {
                int next = 0;
                for (int p = 0; p < parts; p++)
                {
                    (int a, int b) = WorkerPool.Range(units, p, parts);
                    Assert.Equal(next, a);
                    Assert.True(b >= a);
                    next = b;
                }
                Assert.Equal(units, next);
            }
    }
}
