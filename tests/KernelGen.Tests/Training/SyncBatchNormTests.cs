using System;
using System.Linq;
using System.Threading;
using KernelGen.Runtime;
using KernelGen.Training;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Batch-norm phases big enough to split over threads (128 rows × 200 and × 100 features); SGD with momentum; smooth
/// activations: with ReLU after the first batch norm, one pre-activation at the kink flipped by a rounding difference
/// (the plain and the synchronised batch-norm kernels round differently) separated the two trajectories at step 11 —
/// 1e-7 through step 10, 1.6e-5 at 12, 1e-4 at 20 — which measures the kink, not the synchronisation. (With Adam,
/// FashionMlp is no fixture for this comparison: the gradient of a dense bias just before batch norm is 0 in exact
/// arithmetic, so both runs feed rounding noise to Adam, which turns any noise into steps of ±η.)
/// </summary>
[Network(Inputs = 64, BatchSize = 128, Seed = 21)]
[Dense(200, Bias = false, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.Tanh)]
[Dense(100)] [BatchNorm(Momentum = 0.8f)] [Activation(Act.Tanh)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Momentum(LearningRate = 0.05f)]
public partial class SyncThreadNet;

/// <summary>
/// Synchronised batch norm (issue 16) in one process: N network instances on N threads meet in an in-memory reducer (a
/// barrier, then a sum in participant order, so every participant gets the same bits) and step as DistributedTrainer does
/// (gradients × local rows, summed, ÷ total rows, the same update). N instances × B rows must match one instance × N·B rows.
/// </summary>
[Collection("Allocation")]
public class SyncBatchNormTests
{
    /// <summary>Sums over the participants of a <see cref="Group"/>; every one calls it with spans of the same length.</summary>
    private sealed class Reducer(Group group, int index) : IBatchStatisticsReducer
    {
        public void SumInPlace(Span<float> values) => group.Sum(index, values);
    }

    /// <summary>
    /// A rendezvous by spinning (then sleeping 1 ms between looks): unlike <see cref="Barrier"/>, whose first blocking wait on a
    /// thread can allocate (a lock's first Monitor.Wait), it never allocates, so the allocation test measures the network alone.
    /// </summary>
    private sealed class SpinBarrier(int participants)
    {
        private int _count, _phase;

        public void SignalAndWait()
        {
            int phase = Volatile.Read(ref _phase);
            if (Interlocked.Increment(ref _count) == participants)
            {
                _count = 0;
                Volatile.Write(ref _phase, phase + 1);
                return;
            }
            long deadline = Environment.TickCount64 + 60_000;
            var spin = new SpinWait();
            while (Volatile.Read(ref _phase) == phase)
            {
                spin.SpinOnce();
                if (Environment.TickCount64 > deadline) throw new TimeoutException("a participant did not arrive within 60 s");
            }
        }
    }

    private sealed class Group
    {
        private readonly float[][] _slots;
        private readonly SpinBarrier _barrier;
        public int Calls;

        public Group(int participants, int capacity)
        {
            _slots = Enumerable.Range(0, participants).Select(_ => new float[capacity]).ToArray();
            _barrier = new SpinBarrier(participants);
        }

        public void Sum(int index, Span<float> values)
        {
            if (index == 0) Calls++;
            values.CopyTo(_slots[index]);
            _barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++)
            {
                float s = 0f;
                for (int p = 0; p < _slots.Length; p++) s += _slots[p][i];
                values[i] = s;
            }
            _barrier.SignalAndWait(); // nobody writes its slot again before every participant has read them all
        }
    }

    /// <summary>A participant that failed leaves the others waiting: they fail after a minute rather than hang.</summary>
    private static void Wait(Barrier barrier)
    {
        if (!barrier.SignalAndWait(60_000)) throw new TimeoutException("a participant did not arrive within 60 s");
    }

    private static IClassifier Create(string name, int threads, Isa isa = Isa.Auto) => name switch
    {
        nameof(BatchNormNet) => new BatchNormNet(seed: 7, isa: isa, threads: threads),
        nameof(MaxoutNet) => new MaxoutNet(seed: 7, isa: isa, threads: threads),
        _ => new SyncThreadNet(seed: 7, isa: isa, threads: threads),
    };

    private static void Data(int step, int rows, int inputs, int classes, float[] x, int[] y)
    {
        var r = new Random(500 + step);
        for (int i = 0; i < rows * inputs; i++) x[i] = (float)(r.NextDouble() * 2 - 1) + 0.5f; // a mean away from 0
        for (int i = 0; i < rows; i++) y[i] = r.Next(classes);
    }

    /// <summary>
    /// Trains <paramref name="rows"/>.Length instances together (participant p takes rows[p] rows of each batch) for
    /// <paramref name="steps"/> steps, synchronised or not; returns every participant's parameters and running statistics
    /// and the reducer's call count.
    /// </summary>
    private static (float[][] Parameters, float[][] Statistics, int Calls) Together(string name, int[] rows, int steps, bool sync, int threads, Isa isa = Isa.Auto)
    {
        int n = rows.Length, total = rows.Sum();
        IClassifier[] nets = Enumerable.Range(0, n).Select(_ => Create(name, threads, isa)).ToArray();
        var group = new Group(n, nets[0].Parameters.Length + 2);
        int inputs = nets[0].Info.Inputs, classes = nets[0].Info.Outputs;
        float[] x = new float[total * inputs];
        int[] y = new int[total];
        var ready = new Barrier(n); // participant 0 draws the batch between two phases
        Exception? error = null;
        var workers = Enumerable.Range(0, n).Select(p => new Thread(() =>
        {
            try
            {
                IClassifier net = nets[p];
                net.DropoutEnabled = false;
                if (sync) ((ISynchronisedBatchNorm)net).BatchStatisticsReducer = new Reducer(group, p);
                var reducer = new Reducer(group, p);
                float[] staged = new float[net.Parameters.Length + 1];
                int offset = rows.Take(p).Sum();
                for (int step = 0; step < steps; step++)
                {
                    if (p == 0) Data(step, total, inputs, classes, x, y);
                    Wait(ready);
                    net.ComputeGradients(x.AsSpan(offset * inputs, rows[p] * inputs), y.AsSpan(offset, rows[p]));
                    Span<float> g = net.Gradients;
                    for (int i = 0; i < g.Length; i++) staged[i] = g[i] * rows[p];
                    staged[g.Length] = rows[p];
                    reducer.SumInPlace(staged);
                    for (int i = 0; i < g.Length; i++) g[i] = staged[i] / staged[g.Length];
                    net.ApplyUpdate();
                    Wait(ready);
                }
            }
            catch (Exception e)
            {
                error ??= e;
            }
        })).ToArray();
        foreach (Thread t in workers) t.Start();
        foreach (Thread t in workers) t.Join();
        if (error is not null) throw new InvalidOperationException("a participant failed", error);
        var result = (nets.Select(m => m.Parameters.ToArray()).ToArray(), nets.Select(m => m.RunningStatistics.ToArray()).ToArray(), group.Calls);
        foreach (IClassifier m in nets) m.Dispose();
        return result;
    }

    /// <summary>One instance × all rows, the same batches.</summary>
    private static (float[] Parameters, float[] Statistics) Alone(string name, int total, int steps, int threads, Isa isa = Isa.Auto)
    {
        using IClassifier net = Create(name, threads, isa);
        net.DropoutEnabled = false;
        int inputs = net.Info.Inputs, classes = net.Info.Outputs;
        float[] x = new float[total * inputs];
        int[] y = new int[total];
        for (int step = 0; step < steps; step++)
        {
            Data(step, total, inputs, classes, x, y);
            net.TrainStep(x, y);
        }
        return (net.Parameters.ToArray(), net.RunningStatistics.ToArray());
    }

    private static double Relative(float[] a, float[] b)
    {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs((double)b[i]));
        }
        return diff / scale;
    }

    /// <summary>The parameter tensor holding the largest difference (for the messages).</summary>
    private static string Worst(NetworkInfo info, float[] a, float[] b)
    {
        string worst = "-";
        double most = -1;
        foreach (TensorInfo t in info.Tensors.Where(t => t.Block == TensorBlock.Parameters))
            for (int i = t.Offset; i < t.Offset + t.Length; i++)
                if (Math.Abs((double)a[i] - b[i]) > most) { most = Math.Abs((double)a[i] - b[i]); worst = t.Name; }
        return $"{worst} ({most:E2})";
    }

    public static TheoryData<string, int[], int> Cases() => new()
    {
        { nameof(BatchNormNet), new[] { 5, 5 }, 1 },
        { nameof(BatchNormNet), new[] { 3, 3, 3 }, 1 },
        { nameof(BatchNormNet), new[] { 2, 4, 5 }, 1 }, // unequal rows per participant
        { nameof(MaxoutNet), new[] { 4, 5 }, 1 },
        { nameof(SyncThreadNet), new[] { 40, 24, 64 }, 2 }, // threaded: the synchronised phases run whole on the calling thread
        { nameof(SyncThreadNet), new[] { 8, 120 }, 1 }, // 8 rows run the canonical dense kernels, 120 and the 128 alone the packed ones
        { nameof(SyncThreadNet), new[] { 12, 4 }, 1 }, // every participant below PackedTrainingRows, the 16 alone at it
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void N_instances_synchronised_match_one_instance_with_all_rows(string name, int[] rows, int threads)
    {
        const int steps = 20;
        (float[] p1, float[] s1) = Alone(name, rows.Sum(), steps, threads);
        (float[][] p, float[][] s, int calls) = Together(name, rows, steps, sync: true, threads);
        double parameters = Relative(p[0], p1), statistics = Relative(s[0], s1);
        using (IClassifier shape = Create(name, 1))
            Console.WriteLine($"{name} {string.Join("+", rows)} rows, synchronised: parameters {parameters:E2} (most in {Worst(shape.Info, p[0], p1)}), running statistics {statistics:E2} relative after {steps} steps; {calls} reducer calls");
        Assert.True(parameters <= 1e-6, $"parameters differ by {parameters:E2} relative");
        Assert.True(statistics <= 1e-6, $"running statistics differ by {statistics:E2} relative");
        for (int k = 1; k < rows.Length; k++)
        {
            Assert.Equal(p[0].Select(BitConverter.SingleToInt32Bits), p[k].Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(s[0].Select(BitConverter.SingleToInt32Bits), s[k].Select(BitConverter.SingleToInt32Bits));
        }

        if (threads > 1)
        {
            (float[][] one, float[][] oneStats, _) = Together(name, rows, steps, sync: true, threads: 1);
            Assert.Equal(one[0].Select(BitConverter.SingleToInt32Bits), p[0].Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(oneStats[0].Select(BitConverter.SingleToInt32Bits), s[0].Select(BitConverter.SingleToInt32Bits));
        }

        // Per-instance statistics (the default) are a different computation: the test above can fail.
        (float[][] q, _, _) = Together(name, rows, steps, sync: false, threads);
        double perInstance = Relative(q[0], p1);
        Console.WriteLine($"{name} {string.Join("+", rows)} rows, per-instance statistics: parameters {perInstance:E2} relative");
        Assert.True(perInstance > 1e-4, $"per-instance batch norm matches one instance too ({perInstance:E2}): the comparison cannot tell");
    }

    /// <summary>Every width's synchronised kernels (the theory above runs the widest this CPU accelerates).</summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Every_width_synchronised_matches_one_instance(Isa isa)
    {
        int[] rows = { 2, 4, 5 };
        (float[] p1, float[] s1) = Alone(nameof(BatchNormNet), rows.Sum(), 20, 1, isa);
        (float[][] p, float[][] s, _) = Together(nameof(BatchNormNet), rows, 20, sync: true, 1, isa);
        double parameters = Relative(p[0], p1), statistics = Relative(s[0], s1);
        Console.WriteLine($"BatchNormNet {isa}, 2+4+5 rows synchronised: parameters {parameters:E2}, running statistics {statistics:E2}");
        Assert.True(parameters <= 1e-6 && statistics <= 1e-6, $"{isa}: parameters {parameters:E2}, running statistics {statistics:E2} relative");
    }

    [Fact]
    public void Reducer_null_is_the_unsynchronised_network_bit_for_bit()
    {
        using var a = new BatchNormNet(seed: 7, threads: 1);
        using var b = new BatchNormNet(seed: 7, threads: 1);
        var group = new Group(1, 100);
        ((ISynchronisedBatchNorm)b).BatchStatisticsReducer = new Reducer(group, 0);
        Assert.NotNull(b.BatchStatisticsReducer);
        b.BatchStatisticsReducer = null;
        Assert.Null(b.BatchStatisticsReducer);
        float[] x = new float[10 * 13];
        int[] y = new int[10];
        for (int step = 0; step < 5; step++)
        {
            Data(step, 10, 13, 5, x, y);
            a.TrainStep(x, y);
            b.TrainStep(x, y);
        }
        Assert.Equal(0, group.Calls);
        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.Equal(a.RunningStatistics.ToArray(), b.RunningStatistics.ToArray());
    }

    [Fact]
    public void One_participant_synchronised_is_close_to_unsynchronised_and_evaluation_mode_does_not_reduce()
    {
        using var a = new BatchNormNet(seed: 7, threads: 1);
        using var b = new BatchNormNet(seed: 7, threads: 1);
        var group = new Group(1, 100);
        b.BatchStatisticsReducer = new Reducer(group, 0);
        float[] x = new float[10 * 13];
        int[] y = new int[10];
        for (int step = 0; step < 20; step++)
        {
            Data(step, 10, 13, 5, x, y);
            a.TrainStep(x, y);
            b.TrainStep(x, y);
        }
        Assert.Equal(20 * 6, group.Calls); // per step and batch norm: two in the forward (Σx with the rows, Σ(x − μ)²), one in the backward
        Assert.True(Relative(b.Parameters.ToArray(), a.Parameters.ToArray()) < 1e-5);
        b.Training = false;
        b.ComputeGradients(x, y);
        b.Evaluate(x, y);
        Assert.Equal(20 * 6, group.Calls);
    }

    [Fact]
    public void A_reducer_that_does_not_sum_the_rows_is_refused()
    {
        using var net = new BatchNormNet(seed: 7, threads: 1);
        net.BatchStatisticsReducer = new Zeroing();
        float[] x = new float[10 * 13];
        int[] y = new int[10];
        Data(0, 10, 13, 5, x, y);
        var e = Assert.Throws<InvalidOperationException>(() => net.TrainStep(x, y));
        Assert.Contains("returned 0 rows", e.Message);
    }

    private sealed class Zeroing : IBatchStatisticsReducer
    {
        public void SumInPlace(Span<float> values) => values.Clear();
    }

    [Fact]
    public void No_allocation_per_synchronised_step()
    {
        const int n = 2;
        var nets = Enumerable.Range(0, n).Select(_ => new BatchNormNet(seed: 7, threads: 1)).ToArray();
        var group = new Group(n, 100);
        long[] allocated = new long[n];
        var workers = Enumerable.Range(0, n).Select(p => new Thread(() =>
        {
            BatchNormNet net = nets[p];
            net.BatchStatisticsReducer = new Reducer(group, p);
            float[] x = new float[5 * 13];
            int[] y = new int[5];
            Data(p, 5, 13, 5, x, y);
            for (int i = 0; i < 20; i++) net.TrainStep(x, y);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 200; i++) net.TrainStep(x, y);
            allocated[p] = GC.GetAllocatedBytesForCurrentThread() - before;
        })).ToArray();
        foreach (Thread t in workers) t.Start();
        foreach (Thread t in workers) t.Join();
        foreach (var net in nets) net.Dispose();
        Assert.Equal(new long[n], allocated);
    }
}
