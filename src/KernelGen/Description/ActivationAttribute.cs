using System;

namespace KernelGen;

/// <summary>Element-wise activation. Directly after a <see cref="DenseAttribute"/> it is fused into that layer's kernels.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ActivationAttribute : NetworkElementAttribute
{
    /// <summary>Creates an activation layer.</summary>
    public ActivationAttribute(Act function) => Function = function;

    /// <summary>The activation function.</summary>
    public Act Function { get; }

    /// <summary>
    /// α of <see cref="Act.LeakyReLU"/> (default 0.01, must be in [0, 1)), <see cref="Act.ELU"/> (default 1, must be &gt; 0)
    /// and the initial α of <see cref="Act.PReLU"/> (default 0.25, must be finite). Unset means the function's default; a value set
    /// explicitly is checked (NaN included: it is rejected, not read as the default). The
    /// other functions take no α and reject one.
    /// </summary>
    public float Alpha { get; set; } = float.NaN;
}
