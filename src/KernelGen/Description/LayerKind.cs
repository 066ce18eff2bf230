namespace KernelGen;

/// <summary>Kinds of layer in a <see cref="NetworkInfo"/>.</summary>
public enum LayerKind
{
    /// <summary>Fully connected layer.</summary>
    Dense = 0,
    /// <summary>Element-wise activation.</summary>
    Activation = 1,
    /// <summary>Batch normalisation (learned γ, β; running mean and variance).</summary>
    BatchNorm = 2,
    /// <summary>Inverted dropout.</summary>
    Dropout = 3,
    /// <summary>Maxout: the maximum over k pieces of the dense layer before it.</summary>
    Maxout = 4,
    /// <summary>Layer normalisation: each row over its own features (learned γ, β; no running statistics).</summary>
    LayerNorm = 5,
}
