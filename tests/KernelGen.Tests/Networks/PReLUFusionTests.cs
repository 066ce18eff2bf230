using System;
using System.Linq;
using KernelGen;
using KernelGen.Runtime;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// PReLU fused into the dense layer before it (issue 14 part 3): the dense epilogue applies α per unit and writes the PReLU's
/// output, and in training keeps the pre-activation (the dense node's own output) for the PReLU's backward. 70 outputs (whole
/// panels and a partial one at every width), 45 without bias, 20 and 12 (12: under 16 outputs, canonical kernels only), and the
/// last layer's PReLU (read by the loss). The PReLU's output feeds a dropout, a batch norm (plain, then synchronised), a dense dX
/// and the softmax. The leading identity layer keeps the dropout at the twin's layer position (its mask key).
/// </summary>
[Network(Inputs = 40, BatchSize = 37, Seed = 17)]
[Activation(Act.Identity)]
[Dense(70)] [Activation(Act.PReLU)] [Dropout(0.25f)]
[Dense(45, Bias = false)] [Activation(Act.PReLU, Alpha = 0.1f)] [BatchNorm]
[Dense(20)] [Activation(Act.PReLU)]
[Dense(12)] [Activation(Act.PReLU)]
[Dense(5)] [Activation(Act.PReLU, Alpha = 0.5f)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-2f)]
public partial class FusedPReLUNet;

/// <summary><see cref="FusedPReLUNet"/> with every PReLU in its own kernels (an identity layer after each dense layer takes the fusion).</summary>
[Network(Inputs = 40, BatchSize = 37, Seed = 17)]
[Dense(70)] [Activation(Act.Identity)] [Activation(Act.PReLU)] [Dropout(0.25f)]
[Dense(45, Bias = false)] [Activation(Act.Identity)] [Activation(Act.PReLU, Alpha = 0.1f)] [BatchNorm]
[Dense(20)] [Activation(Act.Identity)] [Activation(Act.PReLU)]
[Dense(12)] [Activation(Act.Identity)] [Activation(Act.PReLU)]
[Dense(5)] [Activation(Act.Identity)] [Activation(Act.PReLU, Alpha = 0.5f)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-2f)]
public partial class UnfusedPReLUNet;

/// <summary>784 → 256 with PReLU: 802 KB of weights, past the 512 KB from which the packed Predict kernel blocks over the outputs
/// (panels outer, row tiles inner).</summary>
[Network(Inputs = 784, BatchSize = 64, Seed = 18)]
[Dense(256)] [Activation(Act.PReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class WidePReLUNet;

/// <summary><see cref="WidePReLUNet"/> with the PReLU stand-alone.</summary>
[Network(Inputs = 784, BatchSize = 64, Seed = 18)]
[Dense(256)] [Activation(Act.Identity)] [Activation(Act.PReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class WideUnfusedPReLUNet;

public class PReLUFusionTests
{
    private static int[] Bits(ReadOnlySpan<float> values) => values.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    /// <summary>α of both signs per unit, in every PReLU tensor of <paramref name="net"/>.</summary>
    private static void MixedAlpha(IClassifier net, int seed)
    {
        var r = new Random(seed);
        foreach (TensorInfo alpha in net.Info.Tensors.Where(t => t.Name.StartsWith("prelu", StringComparison.Ordinal)))
        {
            Span<float> a = net.Parameters.Slice(alpha.Offset, alpha.Length);
            for (int i = 0; i < a.Length; i++) a[i] = (float)r.NextDouble() - 0.5f;
        }
    }

    /// <summary>The panels-outer packed Predict kernel (and the training step) with PReLU fused, bit for bit against the
    /// stand-alone PReLU at every width: 64 rows (whole tiles), 13 (a partial tile) and 1.</summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Wide_layer_matches_the_unfused_twin(Isa isa)
    {
        if (Networks.SkipLarge) return; // every vector op emulated: the narrower networks cover the fusion there
        using var fused = new WidePReLUNet(isa: isa);
        using var twin = new WideUnfusedPReLUNet(isa: isa);
        MixedAlpha(fused, 6);
        fused.Parameters.CopyTo(twin.Parameters);
        var r = new Random(8);
        float[] x = new float[64 * 784];
        for (int i = 0; i < x.Length; i++) x[i] = 2f * (float)Values.Normal(r);
        int[] y = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        float[] p = new float[64 * 10], q = new float[64 * 10];
        foreach (int rows in new[] { 64, 13, 1 })
        {
            fused.Predict(x.AsSpan(0, rows * 784), p.AsSpan(0, rows * 10));
            twin.Predict(x.AsSpan(0, rows * 784), q.AsSpan(0, rows * 10));
            Assert.Equal(Bits(q.AsSpan(0, rows * 10)), Bits(p.AsSpan(0, rows * 10)));
        }
        Assert.Equal(BitConverter.SingleToInt32Bits(twin.TrainStep(x, y)), BitConverter.SingleToInt32Bits(fused.TrainStep(x, y)));
        Assert.Equal(Bits(twin.Parameters), Bits(fused.Parameters));
    }

    /// <summary>Threaded Predict of a network with PReLU fused (rows split over the threads, each writing its rows of the PReLU's
    /// output) gives the same bits for 1, 2 and 3 threads, after a few training steps.</summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Threaded_Predict_is_bit_identical_for_1_2_and_3_threads(Isa isa)
    {
        var r = new Random(9);
        float[] x = new float[PReLUThreadNet.BatchSize * PReLUThreadNet.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
        int[] y = Enumerable.Range(0, PReLUThreadNet.BatchSize).Select(i => i % 7).ToArray();
        int[][] results = new int[3][];
        for (int threads = 1; threads <= 3; threads++)
        {
            using var net = new PReLUThreadNet(seed: 4, isa: isa, threads: threads);
            MixedAlpha(net, 10);
            for (int s = 0; s < 3; s++) net.TrainStep(x, y);
            float[] p = new float[PReLUThreadNet.BatchSize * PReLUThreadNet.OutputSize], q = new float[15 * PReLUThreadNet.OutputSize];
            net.Predict(x, p);
            net.Predict(x.AsSpan(0, 15 * PReLUThreadNet.InputSize), q);
            results[threads - 1] = Bits(p).Concat(Bits(q)).ToArray();
        }
        Assert.Equal(results[0], results[1]);
        Assert.Equal(results[0], results[2]);
    }

    /// <summary>
    /// The fused network is the unfused one bit for bit at every width, packed (16+ rows) and canonical (7 rows): the epilogue
    /// computes z as the stand-alone dense kernel stores it and applies the same per-element operation as the stand-alone PReLU
    /// (its vector form where a whole vector of outputs is valid, the scalar one per lane in a partial vector). α starts at
    /// values of both signs in [−0.5, 0.5) per unit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Fused_PReLU_matches_the_unfused_twin(Isa isa)
    {
        using var fused = new FusedPReLUNet(isa: isa);
        using var twin = new UnfusedPReLUNet(isa: isa);
        MixedAlpha(fused, 5);
        ActivationFusionTests.MatchesTwin(isa, fused, twin);
    }
}
