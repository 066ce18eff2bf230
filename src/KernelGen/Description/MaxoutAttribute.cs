using System;

namespace KernelGen;

/// <summary>
/// Maxout (seed deck 000, "Activation functions"): <c>max(w₁ᵀx + b₁, …, w_kᵀx + b_k)</c>. Placed right after
/// <c>[Dense(n)]</c>, that layer computes k·n pre-activations (k times the parameters) and this layer keeps
/// the largest of the k pieces of each of the n units.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxoutAttribute : NetworkElementAttribute
{
    /// <summary>Creates a maxout layer of <paramref name="pieces"/> pieces (at least 2).</summary>
    public MaxoutAttribute(int pieces) => Pieces = pieces;

    /// <summary>Number of pieces k.</summary>
    public int Pieces { get; }
}
