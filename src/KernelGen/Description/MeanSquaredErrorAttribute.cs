using System;

namespace KernelGen;

/// <summary>
/// Loss: mean squared error <c>L = (1/(rows·outputs)) Σ (y − t)²</c> (PyTorch's <c>MSELoss</c>, reduction mean).
/// The network's <c>TrainStep</c> then takes float targets.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MeanSquaredErrorAttribute : NetworkElementAttribute
{
}
