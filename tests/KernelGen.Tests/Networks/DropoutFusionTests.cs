using System;
using System.Linq;
using KernelGen;
using KernelGen.Runtime;
using KernelGen.Training;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Dropout right after batch norm, fused into its kernels (issue 14 part 3): after BatchNorm + ReLU (250 features: a tail at every
/// width) and after a batch norm without activation (70 features). The leading identity layers only shift the layer positions so that
/// each dropout has the same position (its mask key) as in <see cref="UnfusedDropoutNet"/>. Big enough that two threads split the
/// batch-norm phases by features (130 rows × 70 and × 250 ≥ ParallelElements).
/// </summary>
[Network(Inputs = 64, BatchSize = 130, Seed = 12)]
[Activation(Act.Identity)]
[Dense(250, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.ReLU)] [Dropout(0.3f)]
[Activation(Act.Identity)] [Activation(Act.Identity)]
[Dense(70)] [BatchNorm(Momentum = 0.8f)] [Dropout(0.2f)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class FusedDropoutNet;

/// <summary>
/// The same function with the fusion broken: an identity layer between each batch norm and its dropout (the first one after the
/// fused ReLU, the second one after an identity the batch norm absorbs as its activation), so each dropout runs its own kernels.
/// Identity layers compute y = x and dx = d·1: exact, so both networks must agree bit for bit.
/// </summary>
[Network(Inputs = 64, BatchSize = 130, Seed = 12)]
[Dense(250, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.ReLU)] [Activation(Act.Identity)] [Dropout(0.3f)]
[Dense(70)] [BatchNorm(Momentum = 0.8f)] [Activation(Act.Identity)] [Activation(Act.Identity)] [Dropout(0.2f)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class UnfusedDropoutNet;

/// <summary>The fused kernels use the unfused kernels' masks and float operations: same bits, at every width, thread count and in synchronised mode.</summary>
[Collection("Allocation")]
public class DropoutFusionTests
{
    private static int[] Bits(ReadOnlySpan<float> values) => values.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Fused_dropout_matches_the_unfused_twin_bit_for_bit(Isa isa)
    {
        using var fused = new FusedDropoutNet(isa: isa);
        using var twin = new UnfusedDropoutNet(isa: isa);
        using var threaded = new FusedDropoutNet(isa: isa, threads: 2);
        Assert.Equal(FusedDropoutNet.Info.Tensors.Select(t => (t.Name, t.Offset, t.Length)), UnfusedDropoutNet.Info.Tensors.Select(t => (t.Name, t.Offset, t.Length)));
        Assert.Equal(4, FusedDropoutNet.Info.Layers.Count(l => l.Kind == LayerKind.BatchNorm) + FusedDropoutNet.Info.Layers.Count(l => l.Kind == LayerKind.Dropout));
        fused.Parameters.CopyTo(twin.Parameters);
        fused.Parameters.CopyTo(threaded.Parameters);
        IClassifier[] nets = { fused, twin, threaded };
        var r = new Random(5);
        int inputs = FusedDropoutNet.Info.Inputs, batch = FusedDropoutNet.Info.BatchSize;
        float[] x = new float[batch * inputs];
        int[] y = new int[batch];
        int steps = isa == Isa.Scalar || !IsaSupport.IsAccelerated(isa) ? 6 : 12;
        for (int s = 0; s < steps; s++)
        {
            if (s == steps / 2)
                foreach (INetwork n in nets) ((ISynchronisedBatchNorm)n).BatchStatisticsReducer = new Alone(); // the synchronised kernels from here on
            int rows = s % 3 == 2 ? batch - 17 - s : batch; // partial batches too: other thread splits and mask indices
            for (int i = 0; i < rows * inputs; i++) x[i] = (float)Values.Normal(r) + 0.3f;
            for (int i = 0; i < rows; i++) y[i] = r.Next(FusedDropoutNet.Info.Outputs);
            // Dropout on in most steps; off in training once (yd is a copy) and in evaluation mode once (running statistics).
            bool dropout = s % 4 != 1, training = s % 5 != 3;
            float[] losses = new float[nets.Length];
            for (int k = 0; k < nets.Length; k++)
            {
                nets[k].DropoutEnabled = dropout;
                nets[k].Training = training;
                losses[k] = nets[k].ComputeGradients(x.AsSpan(0, rows * inputs), y.AsSpan(0, rows));
            }
            string what = $"{isa}, step {s}, {rows} rows, dropout {dropout}, training {training}";
            for (int k = 1; k < nets.Length; k++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(losses[0]) == BitConverter.SingleToInt32Bits(losses[k]), $"loss of net {k}: {losses[k]} vs {losses[0]} ({what})");
                Assert.True(Bits(nets[0].Gradients).SequenceEqual(Bits(nets[k].Gradients)), $"gradients of net {k} differ ({what})");
            }
            foreach (INetwork n in nets) n.ApplyUpdate();
            for (int k = 1; k < nets.Length; k++)
            {
                Assert.True(Bits(nets[0].Parameters).SequenceEqual(Bits(nets[k].Parameters)), $"parameters of net {k} differ ({what})");
                Assert.True(Bits(nets[0].RunningStatistics).SequenceEqual(Bits(nets[k].RunningStatistics)), $"running statistics of net {k} differ ({what})");
            }
        }
        // Inference: the dropout is the identity, the batch norm folded; nothing of the fusion runs, and Predict agrees too.
        var probabilities = new float[nets.Length][];
        for (int k = 0; k < nets.Length; k++)
        {
            probabilities[k] = new float[batch * FusedDropoutNet.Info.Outputs];
            nets[k].Predict(x, probabilities[k]);
        }
        Assert.Equal(Bits(probabilities[0]), Bits(probabilities[1]));
        Assert.Equal(Bits(probabilities[0]), Bits(probabilities[2]));
    }
}
