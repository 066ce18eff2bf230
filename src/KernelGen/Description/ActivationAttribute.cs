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
}
