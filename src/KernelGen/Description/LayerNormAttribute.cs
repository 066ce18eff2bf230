using System;

namespace KernelGen;

/// <summary>
/// Layer normalisation over the features of each row (as <c>torch.nn.LayerNorm(features)</c>):
/// <c>y = γ·(x − μ)/√(σ² + ε) + β</c> with the row's own mean μ and biased variance σ² (divided by the number of
/// features), learned γ (initialised to 1) and β (0) per feature. It keeps no running statistics: training and inference
/// compute the same thing, for any batch size including one row. Declarable wherever <see cref="BatchNormAttribute"/> is
/// (typically after a dense layer, before its activation, which is then fused into its kernels), and also on the inputs.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : NetworkElementAttribute
{
    /// <summary>Added to the variance before the square root, finite and &gt; 0. Default 1e-5 (PyTorch's).</summary>
    public float Epsilon { get; set; } = 1e-5f;
}
