using System.Linq;
using KernelGen.Generators.Model;
using Xunit;

namespace KernelGen.Generators.Tests;

using ActKind = KernelGen.Generators.Model.ActKind;
using InitKind = KernelGen.Generators.Model.InitKind;
using LayerKind = KernelGen.Generators.Model.LayerKind;

/// <summary>The layout (offsets, alignment, fusion and folding decisions, overflow) on its own: no compilation.</summary>
public class LayoutTests
{
    private static LayerSpec Dense(int index, int inputs, int units, bool bias = true)
        => new(index, LayerKind.Dense, inputs, units, ActKind.Identity, InitKind.HeNormal, bias);
    private static LayerSpec Act(int index, int width, ActKind act)
        => new(index, LayerKind.Activation, width, width, act, InitKind.XavierUniform, false);
    private static LayerSpec BatchNorm(int index, int width)
        => new(index, LayerKind.BatchNorm, width, width, ActKind.Identity, InitKind.XavierUniform, false);
    private static LayerSpec Dropout(int index, int width)
        => new(index, LayerKind.Dropout, width, width, ActKind.Identity, InitKind.XavierUniform, false, Rate: 0.2f);

    [Fact]
    public void FashionMlp_layout_by_hand()
    {
        // Dense 784→256, BN, ReLU, Dropout, Dense 256→128, BN, LeakyReLU, Dropout, Dense 128→10; batch 128; Adam (2 slots).
        LayerSpec[] layers =
        {
            Dense(0, 784, 256), BatchNorm(1, 256), Act(2, 256, ActKind.ReLU), Dropout(3, 256),
            Dense(4, 256, 128), BatchNorm(5, 128), Act(6, 128, ActKind.LeakyReLU), Dropout(7, 128), Dense(8, 128, 10),
        };
        NetworkLayout l = NetworkLayout.Compute(784, 128, layers, 10, 2);
        Assert.Empty(l.Problems);
        // The activations fuse into the batch norms (not into the dense layers, which the batch norms follow).
        Assert.Equal(new[] { 0, 1, 3, 4, 5, 7, 8 }, l.Nodes.Select(n => n.Layer).ToArray());
        Assert.Equal(new[] { -1, 2, -1, -1, 6, -1, -1 }, l.Nodes.Select(n => n.FusedActivation).ToArray());
        // Parameters: W0 b0 γ1 β1 W4 b4 γ5 β5 W8 b8, contiguous (canonical layout, no padding inside).
        Assert.Equal(new long[] { 0, 200960, -1, 201472, 234368, -1, 234624 },
            l.Nodes.Select(n => n.WeightOffset).ToArray());
        Assert.Equal(784 * 256 + 256 + 512 + 256 * 128 + 128 + 256 + 1290, l.ParameterCount);
        Assert.Equal(0, l.ParameterCapacity % NetworkLayout.AlignFloats);
        Assert.Equal(2 * l.ParameterCapacity, l.StateLength);
        Assert.Equal(2 * 256 + 2 * 128, l.StatisticsCount);
        // Both dense layers before a batch norm fold; the last does not.
        Assert.Equal(new long[] { 0, -1, -1, 784 * 256 + 256, -1, -1, -1 }, l.Nodes.Select(n => n.FoldedOffset).ToArray());
        // Workspace: every buffer 16-float aligned, Y then D per node, batch norm stats after its D.
        Assert.All(l.Nodes, n => Assert.Equal(0, n.OutputOffset % 16));
        Assert.Equal(128 * 256, l.Nodes[0].GradientOffset);
        Assert.Equal(2 * 128 * 256 + 2 * 128 * 256, l.Nodes[1].MeanOffset);
        Assert.Equal(l.Nodes[1].MeanOffset + 3 * 256, l.Nodes[2].OutputOffset);
        Assert.Equal(l.ProbabilitiesOffset + 128 * 10, l.WorkspaceLength);
    }

    [Fact]
    public void Layer_norm_takes_gamma_and_beta_fuses_its_activation_and_keeps_a_mean_and_inverse_sigma_per_row()
    {
        // Dense 12→20, LayerNorm, ReLU, Dense 20→5; batch 10 (issue 13's LayerNormNet).
        var layerNorm = new LayerSpec(1, LayerKind.LayerNorm, 20, 20, ActKind.Identity, InitKind.XavierUniform, false);
        NetworkLayout l = NetworkLayout.Compute(12, 10, new[] { Dense(0, 12, 20), layerNorm, Act(2, 20, ActKind.ReLU), Dense(3, 20, 5) }, 5, 0);
        Assert.Empty(l.Problems);
        Assert.Equal(new[] { 0, 1, 3 }, l.Nodes.Select(n => n.Layer).ToArray());
        Assert.Equal(new[] { -1, 2, -1 }, l.Nodes.Select(n => n.FusedActivation).ToArray()); // ReLU fused into the layer norm
        Assert.Equal(12 * 20 + 20, l.Nodes[1].WeightOffset); // γ right after the dense bias, then β
        Assert.Equal(12 * 20 + 20 + 20, l.Nodes[1].BiasOffset);
        Assert.Equal(12 * 20 + 20 + 40 + 20 * 5 + 5, l.ParameterCount);
        Assert.Equal(0, l.StatisticsCount); // no running statistics
        Assert.Equal(-1, l.Nodes[0].FoldedOffset); // nothing to fold: the statistics are the row's own
        // Workspace: Y, D (10 × 20 → 208 floats each), then the mean and 1/σ of each of the 10 rows (16 floats each, aligned).
        Assert.Equal(l.Nodes[1].GradientOffset + 208, l.Nodes[1].MeanOffset);
        Assert.Equal(l.Nodes[1].MeanOffset + 2 * 16, l.Nodes[2].OutputOffset);
    }

    [Fact]
    public void GELU_and_SiLU_fuse_into_a_dense_layer_or_a_norm_keeping_their_derivative_and_nowhere_else()
    {
        // Dense 8→5 + GELU (fused, f′ kept), Dense 5→3 + Tanh (fused from the output), Dense 3→6 + PReLU (stand-alone: α learns),
        // Dense 6→6 + SiLU (fused) + GELU (stand-alone: one activation per node), batch norm + SiLU (fused, f′ kept), layer norm +
        // GELU (fused, f′ kept).
        var batchNorm = new LayerSpec(9, LayerKind.BatchNorm, 6, 6, ActKind.Identity, InitKind.XavierUniform, false);
        var layerNorm = new LayerSpec(11, LayerKind.LayerNorm, 6, 6, ActKind.Identity, InitKind.XavierUniform, false);
        LayerSpec[] layers =
        {
            Dense(0, 8, 5), Act(1, 5, ActKind.GELU), Dense(2, 5, 3), Act(3, 3, ActKind.Tanh), Dense(4, 3, 6), Act(5, 6, ActKind.PReLU),
            Dense(6, 6, 6), Act(7, 6, ActKind.SiLU), Act(8, 6, ActKind.GELU), batchNorm, Act(10, 6, ActKind.SiLU), layerNorm, Act(12, 6, ActKind.GELU),
        };
        NetworkLayout l = NetworkLayout.Compute(8, 4, layers, 6, 0);
        Assert.Empty(l.Problems);
        Assert.Equal(new[] { 0, 2, 4, 5, 6, 8, 9, 11 }, l.Nodes.Select(n => n.Layer).ToArray());
        Assert.Equal(new[] { 1, 3, -1, -1, 7, -1, 10, 12 }, l.Nodes.Select(n => n.FusedActivation).ToArray());
        // f′ kept after Y and D (4 rows × 5 = 20 floats, padded to 32) by the nodes with GELU or SiLU fused, and only by them;
        // the batch norm's statistics per feature and the layer norm's mean and 1/σ per row after it.
        Assert.Equal(new long[] { 64, -1, -1, -1, l.Nodes[4].GradientOffset + 32, -1, l.Nodes[6].GradientOffset + 32, l.Nodes[7].GradientOffset + 32 },
            l.Nodes.Select(n => n.DerivativeOffset).ToArray());
        Assert.Equal(l.Nodes[6].DerivativeOffset + 32, l.Nodes[6].MeanOffset);
        Assert.Equal(l.Nodes[7].DerivativeOffset + 32, l.Nodes[7].MeanOffset);
        Assert.Equal(32, l.Nodes[0].GradientOffset);
        Assert.Equal(96, l.Nodes[1].OutputOffset);
        Assert.Equal(8 * 5 + 5 + 5 * 3 + 3 + 3 * 6 + 6 + 6 + 6 * 6 + 6 + 12 + 12, l.ParameterCount);
        Assert.Equal(160, l.ParameterCapacity); // 159 padded to 16 floats
        Assert.Equal(0, l.StateLength);
        // Workspace ends with the probabilities (4 × 6 → 32 floats).
        Assert.Equal(l.ProbabilitiesOffset + 32, l.WorkspaceLength);
    }

    [Fact]
    public void Sizes_are_added_in_64_bits_and_every_overflow_is_a_problem()
    {
        // 2^20 inputs × 2048 rows: 2^31 floats of input rows (an int would hold -2^31).
        NetworkLayout l = NetworkLayout.Compute(1 << 20, 2048, new[] { Dense(0, 1 << 20, 1) }, 1, 0);
        Assert.Contains(l.Problems, p => p.Layer == 0 && p.Floats == 1L << 31 && p.What.Contains("input rows"));
        // Exactly 2^30 is allowed.
        NetworkLayout edge = NetworkLayout.Compute(1 << 15, 1, new[] { Dense(0, 1 << 15, 1 << 15, bias: false) }, 1 << 15, 0);
        Assert.Equal(1L << 30, edge.ParameterCount);
        Assert.DoesNotContain(edge.Problems, p => p.What.Contains("parameters") || p.What.Contains("weights"));
        // Its packed inference copy would pass the limit: the layer keeps its canonical forward kernel instead.
        Assert.Equal(-1, edge.Nodes[0].PackedOffset);
        Assert.Equal(0, edge.FoldedLength);
    }

    [Fact]
    public void Every_dense_layer_gets_packed_weights_after_the_folded_ones_and_the_training_forward_an_unfolded_copy()
    {
        NetworkLayout l = NetworkLayout.Compute(40, 8, new[] { Dense(0, 40, 20), BatchNorm(1, 20), Dense(2, 20, 16) }, 16, 0);
        Assert.Empty(l.Problems);
        // Folded W′ [20 × 40] and b′ (32 with padding) first; then per dense node the bias padded to 32 and 32-wide panels of Wᵀ.
        Assert.Equal(new long[] { 0, -1, -1 }, l.Nodes.Select(n => n.FoldedOffset).ToArray());
        Assert.Equal(new long[] { 832, -1, 832 + 32 + 40 * 32 }, l.Nodes.Select(n => n.PackedOffset).ToArray());
        // The training forward's packed copies: Predict's own for L2 (nothing folds in), an unfolded copy of L0 after everything else.
        long unfolded = 832 + 32 + 40 * 32 + 32 + 20 * 32;
        Assert.Equal(new long[] { unfolded, -1, 832 + 32 + 40 * 32 }, l.Nodes.Select(n => n.TrainingPackedOffset).ToArray());
        Assert.Equal(unfolded + 32 + 40 * 32, l.FoldedLength);
        Assert.Equal(32 + 20 * 32, NetworkLayout.PackedLength(20, 3));
        // Fewer than 16 outputs: no packed copy at all (the canonical kernels run in Predict and in training).
        NetworkLayout narrow = NetworkLayout.Compute(40, 8, new[] { Dense(0, 40, 20), Dense(1, 20, 15) }, 15, 0);
        Assert.Equal(new long[] { 0, -1 }, narrow.Nodes.Select(n => n.PackedOffset).ToArray());
        Assert.Equal(new long[] { 0, -1 }, narrow.Nodes.Select(n => n.TrainingPackedOffset).ToArray());
    }
}
