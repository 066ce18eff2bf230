using System;
using System.Collections.Generic;

namespace KernelGen;

/// <summary>
/// What the generator saw: the declared layers in order with their shapes and where their
/// parameters live in the canonical parameter block. Generated networks expose it as
/// <c>Info</c>; the <see cref="Reference.ReferenceNetwork"/> oracle and tools read it.
/// </summary>
public sealed class NetworkInfo
{
    /// <summary>Creates a description (the generator writes these; tests may too).</summary>
    /// <param name="name">Class name.</param>
    /// <param name="inputs">Input features per row.</param>
    /// <param name="batchSize">Most rows per step.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="learningRate">The declared learning rate.</param>
    /// <param name="layers">The declared layers in order.</param>
    /// <param name="tensors">Every tensor the network owns, as the generator lists it from its layer emitters; null (a
    /// description made by hand, e.g. by ONNX import) derives it from the layers with <see cref="TensorInfo.Of"/>.</param>
    public NetworkInfo(string name, int inputs, int batchSize, LossKind loss, float learningRate, IReadOnlyList<LayerInfo> layers,
        IReadOnlyList<TensorInfo>? tensors = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        Name = name;
        Inputs = inputs;
        BatchSize = batchSize;
        Loss = loss;
        LearningRate = learningRate;
        Layers = layers;
        int count = 0;
        int statistics = 0;
        foreach (LayerInfo layer in layers)
        {
            count += layer.ParameterCount;
            statistics += layer.StatisticsCount;
        }
        ParameterCount = count;
        StatisticsCount = statistics;
        Tensors = tensors ?? TensorInfo.Of(layers);
        foreach (TensorInfo t in Tensors)
        {
            int end = t.Block == TensorBlock.Parameters ? count : statistics;
            if (t.Layer < 0 || t.Layer >= layers.Count || t.Offset < 0 || t.Offset + t.Length > end)
                throw new ArgumentException($"Tensor '{t.Name}' (layer {t.Layer}, {t.Block} [{t.Offset}, {t.Offset + t.Length})) lies outside the network's {end} {t.Block.ToString().ToLowerInvariant()} floats.", nameof(tensors));
        }
    }

    /// <summary>Every tensor the network owns (parameters and running statistics), in canonical order, with its
    /// PyTorch-style name, role, block, offset, shape and whether weight decay applies. Checkpoints, gradient checks and
    /// exporters iterate this list instead of deriving tensors from the layer kinds.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>Class name of the network.</summary>
    public string Name { get; }
    /// <summary>Input features per row.</summary>
    public int Inputs { get; }
    /// <summary>Outputs per row (the last layer's outputs).</summary>
    public int Outputs => Layers[Layers.Count - 1].Outputs;
    /// <summary>Most rows per training step.</summary>
    public int BatchSize { get; }
    /// <summary>The loss.</summary>
    public LossKind Loss { get; }
    /// <summary>The optimizer's learning rate.</summary>
    public float LearningRate { get; }
    /// <summary>Declared layers, in order.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }
    /// <summary>Total number of parameters (length of the canonical parameter block).</summary>
    public int ParameterCount { get; }
    /// <summary>Length of the running statistics (every batch norm's mean and variance).</summary>
    public int StatisticsCount { get; }

    /// <summary>The declared optimizer, in words (e.g. "AdamW (η = 0.001, decoupled weight decay λ = 0.0001)").</summary>
    public string Optimizer { get; init; } = string.Empty;

    /// <summary>Names of the optimizer's state slots (Adam: "m", "v"; momentum: "v"; AdaGrad/RMSProp: "h"; Adadelta: "square_avg", "acc_delta"; SGD: none), in slot order.</summary>
    public IReadOnlyList<string> OptimizerSlots { get; init; } = Array.Empty<string>();

    /// <summary>The declared weight-decay strength λ (0 when none).</summary>
    public float WeightDecay { get; init; }
}

/// <summary>One declared layer. For a dense layer the weights are <c>[Outputs, Inputs]</c> row-major at
/// <see cref="WeightOffset"/>, followed by <see cref="Outputs"/> biases at <see cref="BiasOffset"/>. For batch norm and layer norm
/// γ is at <see cref="WeightOffset"/> and β at <see cref="BiasOffset"/>; for PReLU the per-unit α is at <see cref="WeightOffset"/>.</summary>
/// <param name="Kind">The layer kind.</param>
/// <param name="Inputs">Inputs per row.</param>
/// <param name="Outputs">Outputs per row (a dense layer before maxout: pieces × units).</param>
/// <param name="Activation">For an activation layer, the function; otherwise <see cref="Act.Identity"/>.</param>
/// <param name="Init">Weight initialiser (dense only).</param>
/// <param name="HasBias">Whether a dense layer has a bias.</param>
/// <param name="WeightOffset">Offset of the weights (γ, α) in the parameter block, or −1.</param>
/// <param name="BiasOffset">Offset of the bias (β) in the parameter block, or −1.</param>
public sealed record LayerInfo(LayerKind Kind, int Inputs, int Outputs, Act Activation, Init Init, bool HasBias, int WeightOffset, int BiasOffset)
{
    /// <summary>α of LeakyReLU and ELU; the initial α of PReLU.</summary>
    public float Alpha { get; init; }

    /// <summary>Maxout pieces (on the maxout layer and the dense layer before it); 1 otherwise.</summary>
    public int Pieces { get; init; } = 1;

    /// <summary>Batch norm: weight of the old value in the running averages.</summary>
    public float Momentum { get; init; }

    /// <summary>Batch norm and layer norm: ε added to the variance.</summary>
    public float Epsilon { get; init; }

    /// <summary>Dropout: the drop probability p.</summary>
    public float Rate { get; init; }

    /// <summary>Dense with <see cref="Init.Constant"/>: the value.</summary>
    public float InitValue { get; init; }

    /// <summary>Batch norm: offset of its running mean (then variance) in the network's RunningStatistics, or −1.</summary>
    public int StatisticsOffset { get; init; } = -1;

    /// <summary>Number of parameters this layer owns.</summary>
    public int ParameterCount => Kind switch
    {
        LayerKind.Dense => Inputs * Outputs + (HasBias ? Outputs : 0),
        LayerKind.BatchNorm or LayerKind.LayerNorm => 2 * Outputs,
        LayerKind.Activation when Activation == Act.PReLU => Outputs,
        _ => 0,
    };

    /// <summary>Running statistics this layer keeps (batch norm: mean and variance per feature).</summary>
    public int StatisticsCount => Kind == LayerKind.BatchNorm ? 2 * Outputs : 0;
}
