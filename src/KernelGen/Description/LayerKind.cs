namespace KernelGen;

/// <summary>Kinds of layer in a <see cref="NetworkInfo"/>.</summary>
public enum LayerKind
{
    /// <summary>Fully connected layer.</summary>
    Dense = 0,
    /// <summary>Element-wise activation.</summary>
    Activation = 1,
}
