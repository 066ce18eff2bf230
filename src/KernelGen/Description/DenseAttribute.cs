using System;

namespace KernelGen;

/// <summary>
/// Fully connected layer: <c>Y = X·Wᵀ + b</c>, with <c>W</c> stored <c>[units, inputs]</c> row-major.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : NetworkElementAttribute
{
    /// <summary>Creates a dense layer with <paramref name="units"/> outputs.</summary>
    public DenseAttribute(int units) => Units = units;

    /// <summary>Number of outputs.</summary>
    public int Units { get; }

    /// <summary>How the weights are initialised (biases start at zero). Default: <see cref="Init.XavierUniform"/>.</summary>
    public Init Init { get; set; } = Init.XavierUniform;

    /// <summary>Whether the layer has a bias vector. Default: true.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>The value of every weight when <see cref="Init"/> is <see cref="KernelGen.Init.Constant"/> (ignored otherwise).</summary>
    public float InitValue { get; set; }
}
