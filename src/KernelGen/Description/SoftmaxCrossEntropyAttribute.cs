using System;

namespace KernelGen;

/// <summary>
/// Loss: softmax over the last layer's outputs, then cross-entropy against an integer label:
/// <c>L = −log softmax(z)[label]</c>, averaged over rows. <c>Predict</c> returns probabilities.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxCrossEntropyAttribute : NetworkElementAttribute
{
}
