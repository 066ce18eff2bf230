namespace KernelGen.Generators.Model;

/// <summary>Mirrors KernelGen.LayerKind (the generator cannot reference the runtime library).</summary>
internal enum LayerKind { Dense = 0, Activation = 1, BatchNorm = 2, Dropout = 3, Maxout = 4, LayerNorm = 5 }

/// <summary>Mirrors KernelGen.Act; values are the runtime enum's.</summary>
internal enum ActKind { Identity = 0, ReLU = 1, Sigmoid = 2, Tanh = 3, LeakyReLU = 4, PReLU = 5, ELU = 6, Softplus = 7, GELU = 8, SiLU = 9 }

internal static class ActKindFacts
{
    /// <summary>f′ can be computed from the output y (so the activation can be fused into the kernel that writes y).</summary>
    public static bool DerivativeFromOutput(this ActKind a) => a is not (ActKind.PReLU or ActKind.GELU or ActKind.SiLU);

    /// <summary>f′ needs the input, but the function and its derivative come from one evaluation (GELU: Φ and e^(−x²/2); SiLU:
    /// σ): fused into a dense layer, a batch norm or a layer norm, whose forward keeps f′ for the backward pass. Not PReLU: its α is a parameter
    /// whose gradient (a sum over the batch of d·min(x, 0)) needs the pre-activation and a pass of its own anyway.</summary>
    public static bool KeepsDerivative(this ActKind a) => a is ActKind.GELU or ActKind.SiLU;

    /// <summary>The activation takes α.</summary>
    public static bool TakesAlpha(this ActKind a) => a is ActKind.LeakyReLU or ActKind.PReLU or ActKind.ELU;

    /// <summary>α when the attribute leaves it unset.</summary>
    public static float DefaultAlpha(this ActKind a) => a switch
    {
        ActKind.LeakyReLU => 0.01f,
        ActKind.PReLU => 0.25f,
        ActKind.ELU => 1f,
        _ => 0f,
    };
}

/// <summary>Mirrors KernelGen.Init.</summary>
internal enum InitKind { Zeros = 0, SmallNormal = 1, XavierUniform = 2, XavierNormal = 3, HeUniform = 4, HeNormal = 5, LeCunNormal = 6, Constant = 7 }

/// <summary>Mirrors KernelGen.LossKind.</summary>
internal enum LossKind { SoftmaxCrossEntropy = 0, MeanSquaredError = 1 }

/// <summary>The optimizer attributes; each kind's name, slots, defaults and formula are one <see cref="Emit.Optimizers.OptimizerRule"/>.</summary>
internal enum OptimizerKind { Sgd = 0, Momentum = 1, Nesterov = 2, AdaGrad = 3, RmsProp = 4, Adam = 5, Adadelta = 6 }

/// <summary>Mirrors KernelGen.Reg.</summary>
internal enum RegKind { L2 = 0, L1 = 1, ElasticNet = 2 }

/// <summary>Mirrors KernelGen.Schedule.</summary>
internal enum ScheduleKind { Constant = 0, StepDecay = 1, Exponential = 2, InverseTime = 3, Cosine = 4 }

/// <summary>One declared layer, shapes resolved. <see cref="Index"/> is its position in the layer stack (0-based).</summary>
/// <remarks>
/// <see cref="Ordinal"/> is its position among the layers (the dropout stream key). Per kind: <see cref="Alpha"/> (activation α),
/// <see cref="InitValue"/> (Dense with Init.Constant), <see cref="Momentum"/> and <see cref="Epsilon"/> (BatchNorm; LayerNorm's ε too),
/// <see cref="Rate"/> (Dropout), <see cref="Pieces"/> (Maxout, and the Dense before it, whose Outputs are Pieces × units).
/// </remarks>
internal sealed record LayerSpec(int Index, LayerKind Kind, int Inputs, int Outputs, ActKind Act, InitKind Init, bool Bias,
    int Ordinal = 0, float Alpha = 0f, float InitValue = 0f, float Momentum = 0.9f, float Epsilon = 1e-5f, float Rate = 0f, int Pieces = 1);

/// <summary>The optimizer and its hyper-parameters (the ones its kind does not use keep their defaults).</summary>
internal sealed record OptimizerSpec(
    OptimizerKind Kind,
    float LearningRate,
    float WeightDecay = 0f,
    RegKind Regularization = RegKind.L2,
    float ElasticNetBeta = 1f,
    bool Decoupled = false,
    float ClipNorm = 0f,
    float Rho = 0.9f,
    bool AveragedMomentum = false,
    float Beta1 = 0.9f,
    float Beta2 = 0.999f,
    float Epsilon = 1e-8f)
{
    /// <summary>Weight decay through the loss and gradient (fused into the dW kernels).</summary>
    public bool CoupledDecay => WeightDecay > 0f && !Decoupled;

    /// <summary>Weight decay applied by the update itself (AdamW style).</summary>
    public bool DecoupledDecay => WeightDecay > 0f && Decoupled;

    /// <summary>Floats of optimizer state per parameter: the number of slots the kind's rule declares.</summary>
    public int StateSlots => Emit.Optimizers.OptimizerRule.For(Kind).Slots.Count;
}

/// <summary>The learning-rate schedule (Constant when none is declared).</summary>
internal sealed record ScheduleSpec(
    ScheduleKind Kind,
    int StepSize = 1000,
    float Gamma = 0.5f,
    float DecayRate = 1e-3f,
    int TotalSteps = 10000,
    float MinLearningRate = 0f,
    int WarmupSteps = 0)
{
    public static readonly ScheduleSpec Constant = new(ScheduleKind.Constant);
}

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
    OptimizerSpec Optimizer,
    ScheduleSpec Schedule)
{
    public int Outputs => Layers[Layers.Count - 1].Outputs;
}

/// <summary>Facts about the compilation that change what is emitted.</summary>
/// <param name="HasMultiplyAddEstimate">Vector128/256/512.MultiplyAddEstimate exist (.NET 9+): FMA where the CPU has it, multiply + add where not.</param>
internal sealed record TargetFacts(bool HasMultiplyAddEstimate);

/// <summary>What a declaration with errors needs for its placeholder class (<see cref="Emit.SkeletonEmitter"/>).</summary>
/// <param name="UserMembers">Names of the members the user declared (left out of the placeholder).</param>
/// <param name="HasUserConstructor">A declared or primary constructor: the placeholder declares none.</param>
internal sealed record SkeletonSpec(string? Namespace, string ClassName, EquatableArray<string> UserMembers, bool HasUserConstructor);
