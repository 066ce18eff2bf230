using System;
using System.Linq;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Outputs that do not fill the last panel at any width (45 = 32 + 13, 16·2 + 13, 8·5 + 5) and weight blocks that are
/// not whole vectors (45 × 37, 23 × 45: the update's scalar tail falls in the last panel); decoupled decay (one loop per
/// segment).</summary>
[Network(Inputs = 37, BatchSize = 40, Seed = 11)]
[Dense(45, Init = Init.HeNormal)] [Activation(Act.ReLU)]
[Dense(23)] [Activation(Act.Tanh)]
[Dense(3)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-2f, WeightDecay = 0.05f, Decoupled = true)]
public partial class RepackAdamWNet;

/// <summary>The same shapes with coupled decay (no decoupled segments: the update's other form).</summary>
[Network(Inputs = 37, BatchSize = 40, Seed = 11)]
[Dense(45, Init = Init.HeNormal)] [Activation(Act.ReLU)]
[Dense(23)] [Activation(Act.Tanh)]
[Dense(3)]
[SoftmaxCrossEntropy]
[Momentum(LearningRate = 0.05f, Rho = 0.9f, WeightDecay = 1e-3f)]
public partial class RepackMomentumNet;

/// <summary>Big enough for threads (77k weights in the first layer, 9.4 MFLOP per forward of it), a last panel with one output at
/// Vector512 (257 = 8 · 32 + 1), weights that are not whole vectors (301 inputs), plain SGD: p′ = p − η·g per element.</summary>
[Network(Inputs = 301, BatchSize = 61, Seed = 13)]
[Dense(257, Init = Init.HeNormal)] [Activation(Act.ReLU)]
[Dense(19)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f)]
public partial class RepackSgdNet;

/// <summary>
/// The optimizer's update packs each dense layer's panels for the training forward as it updates them (issue 14 part 3), in
/// place of a repack from the canonical weights before the next forward. A twin that reads <c>Parameters</c> before every
/// step (which marks the packed copy stale, so it is rebuilt from the canonical weights) must see the same losses and end with
/// the same parameters, bit for bit, through full and partial batches (packed forward from 16 rows, canonical below: the
/// update after a 7-row step does not pack), a frozen layer (whose panels the update skips, so with one of its weights set by
/// hand the copy must be rebuilt, not declared current) and 1–2 threads (RepackSgdNet's
/// update and forward are split; the small networks stay on one thread). The per-panel update itself is checked element by
/// element on the SGD network: every weight moves by exactly −η·g, once.
/// </summary>
public class RepackTests
{
    private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Packing_in_the_update_matches_a_repack_from_the_canonical_weights(Isa isa)
    {
        Check(isa, threads => new RepackAdamWNet(isa: isa, threads: threads), RepackAdamWNet.Info);
        Check(isa, threads => new RepackMomentumNet(isa: isa, threads: threads), RepackMomentumNet.Info);
        Check(isa, threads =>
        {
            var net = new RepackSgdNet(isa: isa, threads: threads);
            Assert.Equal(threads, net.Threads);
            return net;
        }, RepackSgdNet.Info);
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void The_panel_by_panel_update_moves_every_weight_once(Isa isa)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            using var net = new RepackSgdNet(isa: isa, threads: threads);
            var r = new Random(threads);
            int rows = RepackSgdNet.BatchSize;
            float[] x = new float[rows * RepackSgdNet.InputSize];
            int[] y = new int[rows];
            for (int step = 0; step < 3; step++)
            {
                for (int i = 0; i < x.Length; i++) x[i] = (float)Values.Normal(r);
                for (int i = 0; i < rows; i++) y[i] = r.Next(RepackSgdNet.OutputSize);
                net.ComputeGradients(x, y);
                float[] before = net.Parameters.ToArray(), g = net.Gradients.ToArray();
                net.ApplyUpdate();
                float[] after = net.Parameters.ToArray();
                for (int i = 0; i < before.Length; i++)
                {
                    float expected = before[i] - 0.05f * g[i];
                    // One float operation apart at most (fused or not); a weight skipped or updated twice is off by η·|g|.
                    float tolerance = 2e-7f * Math.Max(Math.Abs(expected), Math.Abs(before[i])) + 1e-12f;
                    Assert.True(Math.Abs(after[i] - expected) <= tolerance,
                        $"{isa}, {threads} threads, step {step}: parameter {i} is {after[i]}, expected {expected} (was {before[i]}, gradient {g[i]})");
                }
                net.TrainStep(x, y); // and a step through the packed forward with the panels the update packed
            }
        }
    }

    private static void Check(Isa isa, Func<int, IClassifier> create, NetworkInfo info)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            using IClassifier packing = create(threads), twin = create(1);
            {
                var r = new Random(3 + threads);
                int inputs = info.Inputs, batch = info.BatchSize;
                float[] x = new float[batch * inputs];
                int[] y = new int[batch];
                for (int s = 0; s < 12; s++)
                {
                    int rows = s switch { 7 => 7, 8 => 16, _ => s % 3 == 2 ? batch - 3 - s : batch };
                    for (int i = 0; i < rows * inputs; i++) x[i] = (float)Values.Normal(r);
                    for (int i = 0; i < rows; i++) y[i] = r.Next(info.Outputs);
                    if (s == 3) { packing.SetFrozen(0); twin.SetFrozen(0); }
                    if (s == 6) { packing.SetFrozen(0, false); twin.SetFrozen(0, false); }
                    _ = twin.Parameters; // the twin's packed copy is rebuilt from the canonical weights before its forward
                    float a, b;
                    if (s == 4)
                    {
                        // A frozen weight set by hand between the forward and the update: the update must not declare the copy current.
                        a = packing.ComputeGradients(x.AsSpan(0, rows * inputs), y.AsSpan(0, rows));
                        b = twin.ComputeGradients(x.AsSpan(0, rows * inputs), y.AsSpan(0, rows));
                        packing.Parameters[1] += 0.5f;
                        twin.Parameters[1] += 0.5f;
                        packing.ApplyUpdate();
                        twin.ApplyUpdate();
                    }
                    else
                    {
                        a = packing.TrainStep(x.AsSpan(0, rows * inputs), y.AsSpan(0, rows));
                        b = twin.TrainStep(x.AsSpan(0, rows * inputs), y.AsSpan(0, rows));
                    }
                    Assert.True(Bits(a) == Bits(b), $"{info.Name}, {isa}, {threads} threads, step {s}, {rows} rows: loss {a} vs the twin's {b}");
                }
                float[] p = packing.Parameters.ToArray(), q = twin.Parameters.ToArray();
                int differ = Enumerable.Range(0, p.Length).Count(i => Bits(p[i]) != Bits(q[i]));
                Assert.True(differ == 0, $"{info.Name}, {isa}, {threads} threads: {differ} parameters differ from the twin's");
            }
        }
    }
}
