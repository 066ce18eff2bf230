using System;
using System.Collections.Generic;

namespace KernelGen;

/// <summary>What a tensor of a network is.</summary>
public enum TensorRole
{
    /// <summary>Dense weights <c>[outputs, inputs]</c> row-major.</summary>
    Weight = 0,
    /// <summary>Dense bias <c>[outputs]</c>.</summary>
    Bias = 1,
    /// <summary>Batch-norm or layer-norm scale γ <c>[features]</c>.</summary>
    Gamma = 2,
    /// <summary>Batch-norm or layer-norm shift β <c>[features]</c>.</summary>
    Beta = 3,
    /// <summary>PReLU's learned slope α per unit <c>[units]</c>.</summary>
    Alpha = 4,
    /// <summary>Batch-norm running mean <c>[features]</c> (in <c>RunningStatistics</c>).</summary>
    RunningMean = 5,
    /// <summary>Batch-norm running variance <c>[features]</c> (in <c>RunningStatistics</c>).</summary>
    RunningVariance = 6,
}

/// <summary>The block of a network a tensor lives in.</summary>
public enum TensorBlock
{
    /// <summary><c>Parameters</c> (and, at the same offset, <c>Gradients</c> and every <c>OptimizerState(slot)</c>).</summary>
    Parameters = 0,
    /// <summary><c>RunningStatistics</c>.</summary>
    Statistics = 1,
}

/// <summary>
/// One tensor a network owns. <see cref="Name"/> is PyTorch-style: <c>{module}.{tensor}</c>, where the module is
/// <c>fc{n}</c> for the n-th <c>[Dense]</c>, <c>bn{n}</c> for the n-th <c>[BatchNorm]</c>, <c>ln{n}</c> for the n-th <c>[LayerNorm]</c> and <c>prelu{n}</c> for the
/// n-th PReLU activation (n counts from 1 per kind, in declaration order), and the tensor is <c>weight</c> and
/// <c>bias</c> (dense), <c>weight</c> (γ), <c>bias</c> (β), <c>running_mean</c>, <c>running_var</c> (batch norm, as
/// <c>torch.nn.BatchNorm1d</c> names them), <c>weight</c> (γ) and <c>bias</c> (β) of layer norm (as <c>torch.nn.LayerNorm</c>) or <c>weight</c> (PReLU's α, as <c>torch.nn.PReLU</c>). Optimizer state has no
/// entries of its own: slot s of a parameter tensor lies at the same <see cref="Offset"/> in <c>OptimizerState(s)</c>.
/// </summary>
/// <param name="Name">PyTorch-style name, e.g. <c>fc1.weight</c>, <c>bn1.running_mean</c>.</param>
/// <param name="Role">What the tensor is.</param>
/// <param name="Layer">0-based index of the owning layer in <see cref="NetworkInfo.Layers"/>.</param>
/// <param name="Block">The block it lives in.</param>
/// <param name="Offset">Offset of its first element in that block.</param>
/// <param name="Shape">Its shape, row-major (dense weights <c>[outputs, inputs]</c>, everything else one dimension).</param>
/// <param name="WeightDecay">Whether the declared weight decay applies to it (dense weights only).</param>
public sealed record TensorInfo(string Name, TensorRole Role, int Layer, TensorBlock Block, int Offset, IReadOnlyList<int> Shape, bool WeightDecay)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/>. Allocates nothing (an indexed loop: a <c>foreach</c>
    /// over the interface boxed an enumerator on every call, a trap in a training loop), computed on every call (a
    /// cached value would go stale in a <c>with</c> copy that replaces <see cref="Shape"/>).</summary>
    public int Length
    {
        get
        {
            int n = 1;
            for (int i = 0; i < Shape.Count; i++) n *= Shape[i];
            return n;
        }
    }

    /// <summary>Whether it is trained (lives in <c>Parameters</c>, has a gradient and optimizer state).</summary>
    public bool Trainable => Block == TensorBlock.Parameters;

    /// <summary>The suffix after the module name: <c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>.</summary>
    public string Suffix => Name.Substring(Name.IndexOf('.', StringComparison.Ordinal) + 1);

    /// <summary>Every tensor of <paramref name="layers"/>, in canonical order (parameters in layout order, each batch
    /// norm's running statistics right after its γ and β), for descriptions made by hand (ONNX import). A generated network's
    /// <see cref="NetworkInfo.Tensors"/> is written by the generator from its layer emitters; a test checks that the two agree.</summary>
    public static IReadOnlyList<TensorInfo> Of(IReadOnlyList<LayerInfo> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var tensors = new List<TensorInfo>();
        int dense = 0, bn = 0, ln = 0, prelu = 0;
        for (int k = 0; k < layers.Count; k++)
        {
            LayerInfo l = layers[k];
            int n = l.Outputs;
            switch (l.Kind)
            {
                case LayerKind.Dense:
                {
                    string m = "fc" + (++dense).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    tensors.Add(new(m + ".weight", TensorRole.Weight, k, TensorBlock.Parameters, l.WeightOffset, new[] { n, l.Inputs }, true));
                    if (l.HasBias) tensors.Add(new(m + ".bias", TensorRole.Bias, k, TensorBlock.Parameters, l.BiasOffset, new[] { n }, false));
                    break;
                }
                case LayerKind.BatchNorm:
                {
                    string m = "bn" + (++bn).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    tensors.Add(new(m + ".weight", TensorRole.Gamma, k, TensorBlock.Parameters, l.WeightOffset, new[] { n }, false));
                    tensors.Add(new(m + ".bias", TensorRole.Beta, k, TensorBlock.Parameters, l.BiasOffset, new[] { n }, false));
                    tensors.Add(new(m + ".running_mean", TensorRole.RunningMean, k, TensorBlock.Statistics, l.StatisticsOffset, new[] { n }, false));
                    tensors.Add(new(m + ".running_var", TensorRole.RunningVariance, k, TensorBlock.Statistics, l.StatisticsOffset + n, new[] { n }, false));
                    break;
                }
                case LayerKind.LayerNorm:
                {
                    string m = "ln" + (++ln).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    tensors.Add(new(m + ".weight", TensorRole.Gamma, k, TensorBlock.Parameters, l.WeightOffset, new[] { n }, false));
                    tensors.Add(new(m + ".bias", TensorRole.Beta, k, TensorBlock.Parameters, l.BiasOffset, new[] { n }, false));
                    break;
                }
                case LayerKind.Activation when l.Activation == Act.PReLU:
                {
                    string m = "prelu" + (++prelu).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    tensors.Add(new(m + ".weight", TensorRole.Alpha, k, TensorBlock.Parameters, l.WeightOffset, new[] { n }, false));
                    break;
                }
                case LayerKind.Activation:
                case LayerKind.Dropout:
                case LayerKind.Maxout:
                    break; // no tensors
                default:
                    throw new InvalidOperationException($"Layer {k} has kind {l.Kind}, which TensorInfo.Of does not know; add its tensors here.");
            }
        }
        return tensors;
    }
}
