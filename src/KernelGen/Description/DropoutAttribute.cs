using System;

namespace KernelGen;

/// <summary>
/// Inverted dropout (seed deck 000, "Dropout"): in training each value is kept with probability 1 − p and scaled
/// by 1/(1 − p), else zeroed, so nothing changes at test time. Masks come from a counter-based generator keyed
/// by (seed, step, layer): reproducible, different every step, never stored. Identity in Predict, Evaluate and
/// whenever <c>Training</c> or <c>DropoutEnabled</c> is false.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : NetworkElementAttribute
{
    /// <summary>Creates a dropout layer with drop probability <paramref name="rate"/> in [0, 1).</summary>
    public DropoutAttribute(float rate) => Rate = rate;

    /// <summary>Probability p that a value is dropped.</summary>
    public float Rate { get; }
}
