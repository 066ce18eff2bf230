using System;
using System.Diagnostics;
using System.Globalization;
using KernelGen.Cli.Networks;
using KernelGen.Distributed;

namespace KernelGen.Distributed.Bench;

/// <summary>
/// Would overlapping the allreduce with the backward pass pay for FashionMlp? `mpirun -np 2 … KernelGen.Distributed.Bench.dll
/// overlap [REPETITIONS]`. Per rank, one thread, 128 rows: ComputeGradients (forward + backward), Evaluate (an inference
/// forward with the loss: the forward's share), ApplyUpdate, and the allreduce of the whole gradient block, of the first
/// layer's part (offsets 0 … 200,959: the part the backward finishes last) and of the rest (the only part a per-layer
/// bucket could send while the backward still runs). The backward is estimated as ComputeGradients − Predict (the
/// training forward also computes batch statistics and dropout masks, so this slightly overstates it).
/// </summary>
internal static class Overlap
{
    public static void Run(Mpi mpi, int reps)
    {
        void Say(string s) { if (mpi.Rank == 0) Console.WriteLine(s); }
        using var net = new FashionMlp(seed: DistributedTrainer<FashionMlp>.RankSeed(1, mpi.Rank), threads: 1);
        const int B = FashionMlp.BatchSize, In = FashionMlp.InputSize;
        const int FirstLayer = 784 * 256 + 256;
        int all = net.Parameters.Length;
        float[] x = new float[B * In];
        int[] y = new int[B];
        var rng = new Random(7 + mpi.Rank);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < y.Length; i++) y[i] = rng.Next(10);
        using var trainer = new DistributedTrainer<FashionMlp>(net, mpi);
        float[] block = new float[all];

        float[] outputs = new float[B * FashionMlp.OutputSize];
        // Interleaved, so that the load of other jobs on the machine falls on every figure alike.
        double[] Medians(bool collective, params Action[] bodies)
        {
            var t = new double[bodies.Length * reps];
            for (int i = 0; i < 20; i++)
                foreach (Action body in bodies) body();
            for (int i = 0; i < reps; i++)
                for (int k = 0; k < bodies.Length; k++)
                {
                    if (collective) mpi.Barrier();
                    long t0 = Stopwatch.GetTimestamp();
                    bodies[k]();
                    t[k * reps + i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                }
            mpi.AllreduceSum(t.AsSpan());
            var medians = new double[bodies.Length];
            for (int k = 0; k < bodies.Length; k++)
            {
                Span<double> mine = t.AsSpan(k * reps, reps);
                for (int i = 0; i < reps; i++) mine[i] /= mpi.Size;
                mine.Sort();
                medians[k] = mine[reps / 2];
            }
            return medians;
        }

        double[] c = Medians(false, () => net.ComputeGradients(x, y), () => net.Predict(x, outputs), () => net.ApplyUpdate());
        double gradients = c[0], forward = c[1], update = c[2];
        double step = Medians(true, () => trainer.Step(x, y))[0];
        double[] a = Medians(true, () => mpi.AllreduceSum(block.AsSpan()), () => mpi.AllreduceSum(block.AsSpan(0, FirstLayer)), () => mpi.AllreduceSum(block.AsSpan(FirstLayer)));
        double whole = a[0], first = a[1], rest = a[2];
        double backward = gradients - forward;
        Say(string.Create(CultureInfo.InvariantCulture, $"ranks {mpi.Size}, FashionMlp, {B} rows per rank, 1 thread, median of {reps} (mean over ranks)"));
        Say(string.Create(CultureInfo.InvariantCulture, $"DistributedTrainer.Step {step,8:F1} µs"));
        Say(string.Create(CultureInfo.InvariantCulture, $"ComputeGradients       {gradients,8:F1} µs (forward + loss + backward)"));
        Say(string.Create(CultureInfo.InvariantCulture, $"Predict                {forward,8:F1} µs (inference forward: about the forward's share)"));
        Say(string.Create(CultureInfo.InvariantCulture, $"backward ≈ difference  {backward,8:F1} µs"));
        Say(string.Create(CultureInfo.InvariantCulture, $"ApplyUpdate (AdamW)    {update,8:F1} µs"));
        Say(string.Create(CultureInfo.InvariantCulture, $"allreduce {all,7} floats (whole block)      {whole,8:F1} µs"));
        Say(string.Create(CultureInfo.InvariantCulture, $"allreduce {FirstLayer,7} floats (layer 0, last)   {first,8:F1} µs"));
        Say(string.Create(CultureInfo.InvariantCulture, $"allreduce {all - FirstLayer,7} floats (layers 1-5)      {rest,8:F1} µs"));
        Say(string.Create(CultureInfo.InvariantCulture, $"at most hidden by buckets: {rest:F1} µs of {step:F1} µs per step ({100 * rest / step:F1} %)"));
    }
}
