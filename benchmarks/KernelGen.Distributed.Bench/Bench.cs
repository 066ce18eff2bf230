using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using KernelGen.Cli.Networks;
using KernelGen.Distributed;

namespace KernelGen.Distributed.Bench;

/// <summary>Figures for docs/distributed.md: allreduce times by size (median), FashionMlp step time per row and an epoch.</summary>
internal static class Bench
{
    public static void Run(Mpi mpi, string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        void Say(string s) { if (mpi.Rank == 0) Console.WriteLine(s); }
        Say($"ranks {mpi.Size}, library {mpi.Library}");
        foreach (int count in new[] { 1, 1024, 16384, 65536, 235914, 1 << 20 })
        {
            float[] data = new float[count];
            data.AsSpan().Fill(1);
            double[] t = new double[reps];
            for (int i = 0; i < 20; i++)
                mpi.AllreduceSum(data);
            for (int i = 0; i < reps; i++)
            {
                mpi.Barrier();
                long t0 = Stopwatch.GetTimestamp();
                mpi.AllreduceSum(data);
                t[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
            // The slowest rank's time is the collective's time.
            mpi.AllreduceSum(t.AsSpan()); // sum over ranks; only rank 0's median of the mean is printed
            for (int i = 0; i < reps; i++) t[i] /= mpi.Size;
            Array.Sort(t);
            Say(string.Create(CultureInfo.InvariantCulture,
                $"allreduce {count,8} floats ({count * 4 / 1024.0,8:F1} KiB): median {t[reps / 2],9:F1} µs, p10 {t[reps / 10],9:F1}, p90 {t[reps * 9 / 10],9:F1} (mean over ranks, {reps} reps)"));
        }

        // FashionMlp: TrainStep time per row on one thread (every rank measures; rank 0 prints), then one epoch.
        using var net = new FashionMlp(seed: DistributedTrainer<FashionMlp>.RankSeed(1, mpi.Rank), threads: 1);
        const int B = FashionMlp.BatchSize, In = FashionMlp.InputSize, Pool = 4096;
        float[] x = new float[Pool * In];
        int[] y = new int[Pool];
        var rng = new Random(7 + mpi.Rank); // random rows and labels: the time of a step does not depend on their values
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < y.Length; i++) y[i] = rng.Next(10);
        using var trainer = new DistributedTrainer<FashionMlp>(net, mpi);
        if (mpi.Size == 1)
        {
            for (int i = 0; i < 20; i++) net.TrainStep(x.AsSpan(0, B * In), y.AsSpan(0, B));
            double[] s = new double[60];
            for (int i = 0; i < s.Length; i++)
            {
                int off = (i * B) % (Pool - B);
                long t0 = Stopwatch.GetTimestamp();
                net.TrainStep(x.AsSpan(off * In, B * In), y.AsSpan(off, B));
                s[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
            Array.Sort(s);
            Say(string.Create(CultureInfo.InvariantCulture, $"FashionMlp TrainStep, 1 thread, {B} rows: median {s[s.Length / 2]:F0} µs = {s[s.Length / 2] / B:F2} µs/row"));
        }
        const int EpochRows = 60000;
        int stepsPerRank = EpochRows / (B * mpi.Size);
        for (int i = 0; i < 5; i++) trainer.Step(x.AsSpan(0, B * In), y.AsSpan(0, B));
        mpi.Barrier();
        long e0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < stepsPerRank; i++)
        {
            int off = (i * B) % (Pool - B);
            trainer.Step(x.AsSpan(off * In, B * In), y.AsSpan(off, B));
        }
        mpi.Barrier();
        double epoch = Stopwatch.GetElapsedTime(e0).TotalSeconds;
        Say(string.Create(CultureInfo.InvariantCulture,
            $"FashionMlp epoch of {stepsPerRank * B * mpi.Size} synthetic rows, {B} rows per rank per step, {stepsPerRank} steps, {mpi.Size} rank(s) × 1 thread: {epoch:F2} s ({epoch / stepsPerRank * 1e3:F2} ms/step)"));
    }
}
