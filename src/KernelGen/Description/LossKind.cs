namespace KernelGen;

/// <summary>The loss a network was declared with.</summary>
public enum LossKind
{
    /// <summary><see cref="SoftmaxCrossEntropyAttribute"/>.</summary>
    SoftmaxCrossEntropy = 0,
    /// <summary><see cref="MeanSquaredErrorAttribute"/>.</summary>
    MeanSquaredError = 1,
}
