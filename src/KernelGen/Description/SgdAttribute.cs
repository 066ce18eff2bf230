using System;

namespace KernelGen;

/// <summary>Optimizer: plain stochastic gradient descent, <c>w ← w − η·g</c>, one pass over the parameter block.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SgdAttribute : NetworkElementAttribute
{
    /// <summary>Learning rate η. Must be finite and positive. Default 0.01.</summary>
    public float LearningRate { get; set; } = 0.01f;
}
