using System;

namespace KernelGen;

/// <summary>
/// Marks a <c>partial class</c> as a KernelGen network. The layer, loss and optimizer attributes
/// placed on the same class, in declaration order, describe the network; the source generator
/// completes the class with shape-constant kernels and an allocation-free training step.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Number of input features per row. Required, positive.</summary>
    public int Inputs { get; set; }

    /// <summary>Largest number of rows a training step takes; the workspace is sized for it. Required, positive.</summary>
    public int BatchSize { get; set; }

    /// <summary>Seed for initialisation (and, later, dropout); a constructor argument overrides it.</summary>
    public int Seed { get; set; }
}
