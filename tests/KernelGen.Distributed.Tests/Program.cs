using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using KernelGen;
using KernelGen.Cli.Networks;
using KernelGen.Data;
using KernelGen.Distributed;
using KernelGen.Training;

namespace KernelGen.Distributed.Tests;

/// <summary>
/// Multi-rank checks, launched by eng/test-mpi.sh as `mpirun -np N KernelGen.Distributed.Tests MODE`.
/// Exit 0: passed; 1: an assertion failed (the message says which, on stderr).
/// </summary>
public static class Program
{
    private const int RowsPerRank = 16, Steps = 20;

    public static int Main(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "equivalence";
        Mpi mpi = Mpi.World;
        int rc = 0;
        try
        {
            switch (mode)
            {
                case "equivalence":
                    rc |= Equivalence(mpi, "EqSgdNet", s => new EqSgdNet(seed: s, threads: 1), 11);
                    rc |= Equivalence(mpi, "EqAdamNet", s => new EqAdamNet(seed: s, threads: 1), 12);
                    break;
                case "syncbn": rc = SynchronisedBatchNorm(mpi); break;
                case "mismatch": rc = Mismatch(mpi); break;
                case "fit": rc = FitTogether(mpi); break;
                case "throw": Failure(mpi, kill: false); break;
                case "kill": Failure(mpi, kill: true); break;
                default:
                    Console.Error.WriteLine($"unknown mode '{mode}': equivalence, syncbn, fit, mismatch, throw, kill (the timings live in benchmarks/KernelGen.Distributed.Bench)");
                    rc = 2;
                    break;
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"rank {mpi.Rank}: {e}");
            mpi.Abort(1);
        }
        // Every rank learns whether any failed, so the exit code of mpirun says it.
        Span<int> worst = stackalloc int[1];
        worst[0] = -rc;
        mpi.AllreduceMin(worst);
        mpi.Dispose();
        return -worst[0];
    }

    /// <summary>Deterministic rows: the same on every rank for the same step; labels are the arg-max of a fixed projection.</summary>
    internal static void Batch(int step, int rows, int inputs, int classes, float[] x, int[] y)
    {
        var rng = new Random(1000 + step);
        for (int i = 0; i < rows * inputs; i++)
            x[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int r = 0; r < rows; r++)
        {
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                double s = 0;
                for (int i = c; i < inputs; i += classes)
                    s += x[r * inputs + i];
                if (s > bestScore) { bestScore = s; best = c; }
            }
            y[r] = best;
        }
    }

    private static int Equivalence<T>(Mpi mpi, string name, Func<int, T> make, int seed) where T : IClassifier
    {
        int n = mpi.Size, b = RowsPerRank, inputs = 64, classes = 10;
        int failures = 0;
        void Fail(string what) { failures++; Console.Error.WriteLine($"FAIL rank {mpi.Rank} {name}: {what}"); }

        using T net = make(DistributedTrainer<T>.RankSeed(seed, mpi.Rank));
        using T reference = make(DistributedTrainer<T>.RankSeed(seed, 0)); // rank 0's initial state, 1 rank × N·B rows
        if (mpi.Rank > 0 && net.Parameters.SequenceEqual(reference.Parameters))
            Fail("ranks start from identical parameters, so the broadcast is not tested");
        using var trainer = new DistributedTrainer<T>(net, mpi);
        if (!net.Parameters.SequenceEqual(reference.Parameters))
            Fail("after the broadcast the parameters are not rank 0's");

        float[] x = new float[n * b * inputs];
        int[] y = new int[n * b];
        double maxLossDiff = 0;
        for (int step = 0; step < Steps; step++)
        {
            Batch(step, n * b, inputs, classes, x, y);
            float distributed = trainer.Step(x.AsSpan(mpi.Rank * b * inputs, b * inputs), y.AsSpan(mpi.Rank * b, b));
            float single = reference.TrainStep(x, y);
            maxLossDiff = Math.Max(maxLossDiff, Math.Abs(distributed - single) / Math.Abs(single));
        }
        double maxDiff = 0, maxRef = 0;
        ReadOnlySpan<float> p = net.Parameters, q = reference.Parameters;
        for (int i = 0; i < p.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs((double)p[i] - q[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)q[i]));
        }
        double relative = maxDiff / maxRef;
        double moved = 0;
        using (T initial = make(DistributedTrainer<T>.RankSeed(seed, 0)))
            for (int i = 0; i < p.Length; i++)
                moved = Math.Max(moved, Math.Abs((double)q[i] - initial.Parameters[i]));
        if (!(relative <= 1e-6))
            Fail($"max |Δparameter| / max |parameter| = {relative:E2} > 1e-6 after {Steps} steps");
        if (!(maxLossDiff <= 1e-5))
            Fail($"loss differs from one rank's by {maxLossDiff:E2} relative");
        if (moved == 0)
            Fail("the parameters did not move");

        // Bitwise equality across ranks: every rank compares its parameters and optimizer state with rank 0's.
        int unequal = BitwiseUnequal(mpi, net.Parameters);
        for (int s = 0; s < net.Info.OptimizerSlots.Count; s++)
            unequal += BitwiseUnequal(mpi, net.OptimizerState(s));
        Span<long> steps = stackalloc long[] { net.Step };
        mpi.Broadcast(steps);
        if (unequal != 0 || steps[0] != net.Step)
            Fail($"{unequal} values differ bitwise from rank 0's (step {net.Step} vs {steps[0]})");

        // Zero managed allocation per step (after warm-up).
        Batch(0, n * b, inputs, classes, x, y);
        for (int i = 0; i < 5; i++)
            trainer.Step(x.AsSpan(mpi.Rank * b * inputs, b * inputs), y.AsSpan(mpi.Rank * b, b));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
            trainer.Step(x.AsSpan(mpi.Rank * b * inputs, b * inputs), y.AsSpan(mpi.Rank * b, b));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated != 0)
            Fail($"{allocated} bytes allocated over 200 steps");

        // A finite loss whose backward overflows (first weights × 1e-41, second × 1e11, inputs × 1e30, first biases 0: the same
        // forward, dW₁ ∝ 1e41): every rank returns NaN and updates nothing, as TrainStep; then the weights come back.
        float[] saved = net.Parameters.ToArray();
        long stepBefore = net.Step;
        TensorInfo w1 = net.Info.Tensors.Single(t => t.Name == "fc1.weight"), b1 = net.Info.Tensors.Single(t => t.Name == "fc1.bias");
        TensorInfo w2 = net.Info.Tensors.Single(t => t.Name == "fc2.weight"), b2 = net.Info.Tensors.Single(t => t.Name == "fc2.bias");
        foreach (ref float v in net.Parameters.Slice(w1.Offset, w1.Length)) v *= 1e-41f;
        net.Parameters.Slice(b1.Offset, b1.Length).Clear();
        foreach (ref float v in net.Parameters.Slice(w2.Offset, w2.Length)) v *= 1e11f;
        float[] scaled = net.Parameters.ToArray();
        float[] huge = x.Select(v => v * 1e30f).ToArray();
        float overflow = trainer.Step(huge.AsSpan(mpi.Rank * b * inputs, b * inputs), y.AsSpan(mpi.Rank * b, b));
        if (!float.IsNaN(overflow))
            Fail($"a step whose gradients overflow returned {overflow}, not NaN");
        if (!scaled.AsSpan().SequenceEqual(net.Parameters) || net.Step != stepBefore)
            Fail("a step whose gradients overflow changed the parameters or the step");
        // The same with fc1 frozen: its overflowed gradient is dropped by the update, which goes on (as TrainStep and ApplyUpdate).
        net.SetFrozen(w1.Layer);
        float frozen = trainer.Step(huge.AsSpan(mpi.Rank * b * inputs, b * inputs), y.AsSpan(mpi.Rank * b, b));
        if (!float.IsFinite(frozen) || net.Step != stepBefore + 1
            || !scaled.AsSpan(w1.Offset, w1.Length).SequenceEqual(net.Parameters.Slice(w1.Offset, w1.Length))
            || !scaled.AsSpan(b1.Offset, b1.Length).SequenceEqual(net.Parameters.Slice(b1.Offset, b1.Length))
            || scaled.AsSpan(b2.Offset, b2.Length).SequenceEqual(net.Parameters.Slice(b2.Offset, b2.Length))) // fc2.weight × 1e11: too large to move
            Fail($"a step whose only non-finite gradients are a frozen layer's returned {frozen}, step {net.Step - stepBefore}, or did not update the rest");
        net.SetFrozen(w1.Layer, false);
        net.Step = stepBefore;
        saved.CopyTo(net.Parameters);

        // Evaluate over shards = one rank's Evaluate over all rows; shards are disjoint, cover the rows, reshuffle per epoch.
        int rows = 1000 + n; // not a multiple of every N
        float[] ex = new float[rows * inputs];
        int[] ey = new int[rows], order = new int[rows], previous = new int[rows];
        Batch(99, rows, inputs, classes, ex, ey);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            order.CopyTo(previous, 0);
            Range mine = DistributedTrainer<T>.Shard(order, epoch, 5, mpi.Rank, n);
            (int offset, int length) = mine.GetOffsetAndLength(rows);
            var seen = new long[rows];
            foreach (int r in order.AsSpan(offset, length)) seen[r]++;
            mpi.AllreduceSum(seen.AsSpan());
            if (seen.Any(c => c > 1) || seen.Sum() != rows / n * n)
                Fail($"epoch {epoch}: shards overlap or miss rows ({seen.Sum()} of {rows / n * n})");
            if (epoch > 0 && order.AsSpan().SequenceEqual(previous))
                Fail("the order was not reshuffled between epochs");
        }
        float[] sx = new float[(rows / n) * inputs];
        int[] sy = new int[rows / n];
        Range shard = DistributedTrainer<T>.Shard(order, 0, 5, mpi.Rank, n);
        (int so, int sl) = shard.GetOffsetAndLength(rows);
        for (int k = 0; k < sl; k++)
        {
            sy[k] = ey[order[so + k]];
            ex.AsSpan(order[so + k] * inputs, inputs).CopyTo(sx.AsSpan(k * inputs));
        }
        Evaluation combined = trainer.Evaluate(sx, sy);
        var kept = new int[rows];
        foreach (int r in order.AsSpan(0, rows / n * n)) kept[r] = 1;
        var keptX = new float[rows / n * n * inputs];
        var keptY = new int[rows / n * n];
        for (int r = 0, k = 0; r < rows; r++)
            if (kept[r] == 1) { ex.AsSpan(r * inputs, inputs).CopyTo(keptX.AsSpan(k * inputs)); keptY[k++] = ey[r]; }
        Evaluation reference1 = net.Evaluate(keptX, keptY);
        if (combined.Count != reference1.Count || combined.Correct != reference1.Correct || Math.Abs(combined.MeanLoss - reference1.MeanLoss) > 1e-6 * reference1.MeanLoss)
            Fail($"Evaluate over shards {combined} differs from one rank's over the same rows {reference1}");

        if (mpi.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: sharded Evaluate {combined.MeanLoss:F6}/{combined.Correct}/{combined.Count} = one rank's {reference1.MeanLoss:F6}/{reference1.Correct}/{reference1.Count}"));
        if (mpi.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: {n} ranks × {b} rows vs 1 × {n * b} rows after {Steps} steps: max |Δw| / max |w| = {relative:E2} (max |Δw| {maxDiff:E2}, weights moved up to {moved:E2}), loss rel. diff ≤ {maxLossDiff:E2}; ranks bitwise equal: {unequal == 0}; allocated over 200 steps: {allocated} B"));
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// Trainer.Fit with a DistributedTrainer as its group (what `kernelgen train --distributed` runs): FashionMlp (batch norm,
    /// dropout, AdamW) on synthetic rows with an early stop forced after epoch 3 (MinDelta 1: no epoch improves on the
    /// first). Every rank must report the same epochs, metrics, best epoch and reason, and end with epoch 1's parameters
    /// and running statistics restored, bitwise equal to rank 0's.
    /// </summary>
    private static int FitTogether(Mpi mpi)
    {
        int failures = 0;
        void Fail(string what) { failures++; Console.Error.WriteLine($"FAIL rank {mpi.Rank} fit: {what}"); }
        const int inputs = 784, classes = 10, trainRows = 1500, validRows = 301;
        var tx = new float[trainRows * inputs];
        var ty = new int[trainRows];
        var vx = new float[validRows * inputs];
        var vy = new int[validRows];
        Batch(200, trainRows, inputs, classes, tx, ty);
        Batch(201, validRows, inputs, classes, vx, vy);
        var train = new Dataset(tx, ty, inputs, classes);
        var validation = new Dataset(vx, vy, inputs, classes);
        using var net = new FashionMlp(seed: DistributedTrainer<FashionMlp>.RankSeed(3, mpi.Rank), threads: 1);
        var trainer = new Trainer<FashionMlp>(net, train, seed: 3, batchSize: 64);
        using var group = new DistributedTrainer<FashionMlp>(net, mpi);
        trainer.Group = group;
        float[]? epoch1 = null, epoch1Stats = null;
        FitResult fit = trainer.Fit(validation, new FitOptions { Epochs = 6, Patience = 2, MinDelta = 1, Metric = StopMetric.ValidationAccuracy },
            m => { if (m.Epoch == 1) { epoch1 = net.Parameters.ToArray(); epoch1Stats = net.RunningStatistics.ToArray(); } });
        if (fit.Reason != StopReason.EarlyStopped || fit.BestEpoch != 1 || fit.Epochs.Count != 3)
            Fail($"expected an early stop after epoch 3 with best epoch 1; got {fit.Reason} after {fit.Epochs.Count} epochs, best {fit.BestEpoch}");
        if (!net.Parameters.SequenceEqual(epoch1) || !net.RunningStatistics.SequenceEqual(epoch1Stats))
            Fail("the parameters and running statistics are not epoch 1's after the restore");
        var metrics = fit.Epochs.SelectMany(m => new[] { m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy }).Append(fit.BestEpoch).Append((double)fit.Reason).ToArray();
        double[] root = metrics.ToArray();
        mpi.Broadcast<double>(root);
        if (!root.SequenceEqual(metrics))
            Fail("the epochs' metrics, best epoch or reason differ from rank 0's");
        int unequal = BitwiseUnequal(mpi, net.Parameters) + BitwiseUnequal(mpi, net.RunningStatistics);
        if (unequal != 0)
            Fail($"{unequal} parameters or running statistics differ bitwise from rank 0's");
        if (fit.Epochs.Count == 3 && !(fit.Epochs[2].TrainLoss < fit.Epochs[0].TrainLoss))
            Fail($"the training loss did not fall from epoch 1 ({fit.Epochs[0].TrainLoss:F4}) to epoch 3 ({fit.Epochs[2].TrainLoss:F4})");
        Span<int> anyFailed = stackalloc int[] { -failures };
        mpi.AllreduceMin(anyFailed); // what every rank found, not rank 0's view alone
        if (mpi.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Fit: {mpi.Size} ranks, {fit.Reason} after {fit.Epochs.Count} epochs, best epoch {fit.BestEpoch} restored; train loss {fit.Epochs[0].TrainLoss:F4} → {fit.Epochs[^1].TrainLoss:F4}; metrics, parameters and running statistics equal on every rank: {anyFailed[0] == 0}"));
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// Synchronised batch norm (EqBnNet: two batch norms, momentum SGD): N ranks × B rows = 1 rank × N·B rows after 20 steps,
    /// parameters and running statistics, with equal and unequal rows per rank; parameters, momentum and running statistics
    /// bitwise equal across ranks; 0 B per step. Per-rank batch norm (the default) must not match, so the comparison can fail.
    /// </summary>
    private static int SynchronisedBatchNorm(Mpi mpi)
    {
        int failures = 0;
        void Fail(string what) { failures++; Console.Error.WriteLine($"FAIL rank {mpi.Rank} syncbn: {what}"); }
        int n = mpi.Size;
        int[] equal = Enumerable.Repeat(RowsPerRank, n).ToArray(), unequal = Enumerable.Range(0, n).Select(r => 12 + 4 * r).ToArray();
        var sync = TrainBatchNorm(mpi, true, equal);
        var uneven = TrainBatchNorm(mpi, true, unequal);
        var perRank = TrainBatchNorm(mpi, false, equal);
        foreach (var (what, r) in new[] { ($"{RowsPerRank} rows per rank", sync), ($"{string.Join("+", unequal)} rows", uneven) })
        {
            if (!(r.Parameters <= 1e-6) || !(r.Statistics <= 1e-6))
                Fail($"synchronised, {what}: parameters {r.Parameters:E2}, running statistics {r.Statistics:E2} relative to one rank's > 1e-6");
            if (r.Unequal != 0)
                Fail($"synchronised, {what}: {r.Unequal} parameters, momenta or running statistics differ bitwise from rank 0's");
            if (r.Allocated != 0)
                Fail($"synchronised, {what}: {r.Allocated} bytes allocated over 200 steps");
        }
        if (!(perRank.Parameters > 1e-4))
            Fail($"per-rank batch norm matches one rank × all rows too ({perRank.Parameters:E2}): the comparison cannot tell");

        // The last rank alone asks for synchronised batch norm: every rank refuses at start (else the collectives would not match).
        bool refused = false;
        using (var lone = new EqBnNet(threads: 1))
        {
            try
            {
                using (new DistributedTrainer<EqBnNet>(lone, mpi, synchronisedBatchNorm: mpi.Rank == n - 1)) { }
                Fail("synchronised batch norm on one rank only was accepted");
            }
            catch (NetworkMismatchException e) when (e.Message.Contains("synchronised batch norm is on for some", StringComparison.Ordinal))
            {
                refused = lone.BatchStatisticsReducer is null;
                if (!refused)
                    Fail("the refused trainer left a reducer on the network");
            }
        }
        if (mpi.Rank == 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"EqBnNet: {n} ranks synchronised vs 1 rank × all rows after {Steps} steps: {RowsPerRank} rows per rank: parameters {sync.Parameters:E2}, running statistics {sync.Statistics:E2}; " +
                $"{string.Join("+", unequal)} rows: {uneven.Parameters:E2}, {uneven.Statistics:E2}; per-rank batch norm (default): {perRank.Parameters:E2}, {perRank.Statistics:E2}; " +
                $"ranks bitwise equal: {sync.Unequal + uneven.Unequal == 0}; allocated over 200 steps: {sync.Allocated} B; sync on one rank only refused: {refused}"));
        return failures == 0 ? 0 : 1;
    }

    /// <summary>20 steps of EqBnNet on this rank's rows[rank] rows, and of one network on all of them; the relative differences,
    /// the values that differ bitwise from rank 0's (parameters, momentum, and with sync the running statistics) and the bytes
    /// 200 further steps allocate.</summary>
    private static (double Parameters, double Statistics, int Unequal, long Allocated) TrainBatchNorm(Mpi mpi, bool sync, int[] rows)
    {
        const int inputs = 64, classes = 10;
        int total = rows.Sum(), offset = rows.Take(mpi.Rank).Sum(), mine = rows[mpi.Rank];
        using var net = new EqBnNet(seed: DistributedTrainer<EqBnNet>.RankSeed(13, mpi.Rank), threads: 1);
        using var reference = new EqBnNet(seed: DistributedTrainer<EqBnNet>.RankSeed(13, 0), threads: 1);
        using var trainer = new DistributedTrainer<EqBnNet>(net, mpi, synchronisedBatchNorm: sync);
        if (trainer.SynchronisedBatchNorm != sync || (net.BatchStatisticsReducer is not null) != sync)
            throw new InvalidOperationException($"synchronised batch norm is {trainer.SynchronisedBatchNorm} after asking for {sync}");
        float[] x = new float[total * inputs];
        int[] y = new int[total];
        for (int step = 0; step < Steps; step++)
        {
            Batch(300 + step, total, inputs, classes, x, y);
            trainer.Step(x.AsSpan(offset * inputs, mine * inputs), y.AsSpan(offset, mine));
            reference.TrainStep(x, y);
        }
        double parameters = Relative(net.Parameters, reference.Parameters), statistics = Relative(net.RunningStatistics, reference.RunningStatistics);
        int unequal = BitwiseUnequal(mpi, net.Parameters) + BitwiseUnequal(mpi, net.OptimizerState(0)) + (sync ? BitwiseUnequal(mpi, net.RunningStatistics) : 0);
        for (int i = 0; i < 5; i++)
            trainer.Step(x.AsSpan(offset * inputs, mine * inputs), y.AsSpan(offset, mine));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
            trainer.Step(x.AsSpan(offset * inputs, mine * inputs), y.AsSpan(offset, mine));
        return (parameters, statistics, unequal, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static double Relative(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs((double)a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs((double)b[i]));
        }
        return diff / scale;
    }

    private static int BitwiseUnequal(Mpi mpi, Span<float> mine)
    {
        float[] root = mine.ToArray();
        mpi.Broadcast<float>(root);
        int unequal = 0;
        for (int i = 0; i < root.Length; i++)
            if (BitConverter.SingleToInt32Bits(root[i]) != BitConverter.SingleToInt32Bits(mine[i]))
                unequal++;
        return unequal;
    }

    private static int Mismatch(Mpi mpi)
    {
        bool odd = mpi.Rank == mpi.Size - 1;
        using IClassifier net = odd ? new EqSgdNet41(threads: 1) : new EqSgdNet(threads: 1);
        try
        {
            if (odd)
                using (new DistributedTrainer<EqSgdNet41>((EqSgdNet41)net, mpi)) { }
            else
                using (new DistributedTrainer<EqSgdNet>((EqSgdNet)net, mpi)) { }
        }
        catch (NetworkMismatchException e)
        {
            Console.WriteLine($"rank {mpi.Rank}: {e.Message}");
            bool names = e.Message.Contains($"rank {mpi.Size - 1}", StringComparison.Ordinal)
                && e.Message.Contains("layer 0: Dense 64 → 41", StringComparison.Ordinal)
                && e.Message.Contains("layer 0: Dense 64 → 40", StringComparison.Ordinal);
            if (!names)
                Console.Error.WriteLine($"FAIL rank {mpi.Rank}: the message does not name the rank and both layer-0 declarations");
            return names ? 0 : 1;
        }
        Console.Error.WriteLine($"FAIL rank {mpi.Rank}: different declarations were accepted");
        return 1;
    }

    /// <summary>The last rank throws (or is killed) at step 5; the job must end, not hang. Never returns normally on success.</summary>
    private static void Failure(Mpi mpi, bool kill)
    {
        using var net = new EqSgdNet(threads: 1);
        using var trainer = new DistributedTrainer<EqSgdNet>(net, mpi);
        float[] x = new float[RowsPerRank * 64];
        int[] y = new int[RowsPerRank];
        mpi.RunOrAbort(() =>
        {
            for (int step = 0; step < 1000; step++)
            {
                if (step == 5 && mpi.Rank == mpi.Size - 1)
                {
                    if (kill)
                        Process.GetCurrentProcess().Kill();
                    throw new InvalidOperationException("injected failure on purpose at step 5");
                }
                Batch(step, RowsPerRank, 64, 10, x, y);
                trainer.Step(x, y);
            }
        });
        Console.Error.WriteLine($"FAIL rank {mpi.Rank}: the job survived a failing rank");
        Environment.Exit(1);
    }
}
