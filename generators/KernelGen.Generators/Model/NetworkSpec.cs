namespace KernelGen.Generators.Model;

/// <summary>Mirrors KernelGen.LayerKind (the generator cannot reference the runtime library).</summary>
internal enum LayerKind { Dense = 0, Activation = 1 }

/// <summary>Mirrors KernelGen.Act; values are the runtime enum's.</summary>
internal enum ActKind { Identity = 0, ReLU = 1, Sigmoid = 2, Tanh = 3 }

/// <summary>Mirrors KernelGen.Init.</summary>
internal enum InitKind { Zeros = 0, SmallNormal = 1, XavierUniform = 2, XavierNormal = 3, HeUniform = 4, HeNormal = 5, LeCunNormal = 6 }

/// <summary>Mirrors KernelGen.LossKind.</summary>
internal enum LossKind { SoftmaxCrossEntropy = 0, MeanSquaredError = 1 }

internal enum OptimizerKind { Sgd = 0 }

/// <summary>One declared layer, shapes resolved. <see cref="Index"/> is its position in the layer stack (0-based).</summary>
internal sealed record LayerSpec(int Index, LayerKind Kind, int Inputs, int Outputs, ActKind Act, InitKind Init, bool Bias);

internal sealed record OptimizerSpec(OptimizerKind Kind, float LearningRate);

/// <summary>
/// Everything the emitter needs, and nothing Roslyn-specific: no symbols, syntax or locations, so two
/// parses of the same description compare equal and the incremental cache hits.
/// </summary>
internal sealed record NetworkSpec(
    string? Namespace,
    string ClassName,
    int Inputs,
    int BatchSize,
    int Seed,
    EquatableArray<LayerSpec> Layers,
    LossKind Loss,
    OptimizerSpec Optimizer)
{
    public int Outputs => Layers[Layers.Count - 1].Outputs;
}

/// <summary>Facts about the compilation that change what is emitted.</summary>
/// <param name="HasMultiplyAddEstimate">Vector128/256/512.MultiplyAddEstimate exist (.NET 9+): FMA where the CPU has it, multiply + add where not.</param>
internal sealed record TargetFacts(bool HasMultiplyAddEstimate);
