using System;

namespace KernelGen.Reference;

/// <summary>
/// The oracle's Adadelta (Zeiler 2012, "ADADELTA: an adaptive learning rate method", Algorithm 1, with the learning
/// rate η of torch.optim.Adadelta), in double, one parameter at a time, written from the formula and nothing else:
/// <code>
/// E[g²]  ← ρ·E[g²] + (1 − ρ)·g²
/// Δx     = √(E[Δx²] + ε) / √(E[g²] + ε) · g
/// E[Δx²] ← ρ·E[Δx²] + (1 − ρ)·Δx²
/// w      ← w − η·Δx
/// </code>
/// With clipping (‖g‖₂ &gt; c: g ← g·c/‖g‖ over all parameters) and decoupled decay (w ← w·(1 − η·λ) on the
/// parameters it applies to, before the step), as every KernelGen optimizer composes them.
/// </summary>
public sealed class ReferenceAdadelta
{
    private readonly double _rho, _epsilon, _learningRate, _clipNorm, _decoupledDecay;

    /// <summary>Zero state for <paramref name="parameters"/> parameters.</summary>
    public ReferenceAdadelta(int parameters, double rho, double epsilon, double learningRate, double clipNorm = 0, double decoupledDecay = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameters);
        _rho = rho;
        _epsilon = epsilon;
        _learningRate = learningRate;
        _clipNorm = clipNorm;
        _decoupledDecay = decoupledDecay;
        SquareAverage = new double[parameters];
        DeltaAverage = new double[parameters];
    }

    /// <summary>E[g²] per parameter (KernelGen's slot <c>square_avg</c>).</summary>
    public double[] SquareAverage { get; }

    /// <summary>E[Δx²] per parameter (KernelGen's slot <c>acc_delta</c>).</summary>
    public double[] DeltaAverage { get; }

    /// <summary>One update of <paramref name="w"/> from <paramref name="g"/>; <paramref name="decays"/> (or null: none)
    /// marks the parameters decoupled decay applies to.</summary>
    public void Update(Span<double> w, ReadOnlySpan<double> g, ReadOnlySpan<bool> decays = default)
    {
        if (w.Length != SquareAverage.Length || g.Length != w.Length) throw new ArgumentException("w and g must have the state's length.");
        double scale = 1;
        if (_clipNorm > 0)
        {
            double squares = 0;
            foreach (double x in g) squares += x * x;
            double norm = Math.Sqrt(squares);
            if (norm > _clipNorm) scale = _clipNorm / norm;
        }
        for (int i = 0; i < w.Length; i++)
        {
            double gi = g[i] * scale;
            if (_decoupledDecay > 0 && !decays.IsEmpty && decays[i]) w[i] -= _learningRate * _decoupledDecay * w[i];
            SquareAverage[i] = _rho * SquareAverage[i] + (1 - _rho) * gi * gi;
            double delta = Math.Sqrt(DeltaAverage[i] + _epsilon) / Math.Sqrt(SquareAverage[i] + _epsilon) * gi;
            DeltaAverage[i] = _rho * DeltaAverage[i] + (1 - _rho) * delta * delta;
            w[i] -= _learningRate * delta;
        }
    }
}
