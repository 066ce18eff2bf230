using System;

namespace KernelGen;

/// <summary>
/// Batch normalisation over the features of the layer before it (seed deck 000, "Batch normalization"):
/// training mode normalises with the batch's mean and variance, <c>y = γ·(x − μ_B)/√(σ²_B + ε) + β</c>, with
/// learned γ (initialised to 1) and β (0), and keeps running estimates
/// <c>μ ← m·μ + (1 − m)·μ_B</c>, <c>σ² ← m·σ² + (1 − m)·σ²_B·N/(N − 1)</c> (m = <see cref="Momentum"/>);
/// inference mode (<c>Training = false</c>, Predict, Evaluate) uses the running estimates instead. Directly after a
/// dense layer it is folded into that layer's weights for Predict.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : NetworkElementAttribute
{
    /// <summary>Weight of the old value in the running averages, in [0, 1). Default 0.9 (PyTorch's momentum = 0.1).</summary>
    public float Momentum { get; set; } = 0.9f;

    /// <summary>Added to the variance before the square root, &gt; 0. Default 1e-5.</summary>
    public float Epsilon { get; set; } = 1e-5f;
}
