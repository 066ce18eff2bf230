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

public class PReLUFusionTests
{
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
        var r = new Random(5);
        foreach (TensorInfo alpha in FusedPReLUNet.Info.Tensors.Where(t => t.Name.StartsWith("prelu", StringComparison.Ordinal)))
        {
            Span<float> a = fused.Parameters.Slice(alpha.Offset, alpha.Length);
            for (int i = 0; i < a.Length; i++) a[i] = (float)r.NextDouble() - 0.5f;
        }
        ActivationFusionTests.MatchesTwin(isa, fused, twin);
    }
}
