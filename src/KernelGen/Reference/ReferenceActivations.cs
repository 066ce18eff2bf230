using System;

namespace KernelGen.Reference;

/// <summary>
/// The oracle for activations (seed deck 000, "Activation functions"): every <see cref="Act"/> and its derivative
/// with respect to the input, in double precision, written from the formulas. Where the textbook formula would
/// overflow or cancel in double (softplus, the tails of GELU, ELU and sigmoid near 0) it is rewritten into an
/// algebraically equal form, said in each case; nothing is approximated beyond double rounding.
/// </summary>
public static class ReferenceActivations
{
    private const double SqrtPi = 1.7724538509055160273, Sqrt2 = 1.4142135623730950488, Sqrt2Pi = 2.5066282746310002416;

    /// <summary>
    /// <paramref name="act"/> at <paramref name="x"/>; <paramref name="alpha"/> is α of LeakyReLU, PReLU and ELU and
    /// ignored by the others.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="act"/> is not a defined <see cref="Act"/>.</exception>
    public static double Activate(Act act, double x, double alpha) => act switch
    {
        Act.Identity => x,
        Act.ReLU => x > 0 ? x : 0,
        Act.Sigmoid => Sigmoid(x),
        Act.Tanh => Math.Tanh(x),
        // max(αx, x) for α < 1 (the seed's max(0.1x, x)); written as the case split so any α works.
        Act.LeakyReLU or Act.PReLU => x > 0 ? x : alpha * x,
        Act.ELU => x > 0 ? x : alpha * ExpM1(x),
        // ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|): no overflow for large x, no cancellation for very negative x.
        Act.Softplus => Math.Max(x, 0) + Log1P(Math.Exp(-Math.Abs(x))),
        Act.GELU => x * NormalCdf(x),
        Act.SiLU => x * Sigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(act), act, null),
    };

    /// <summary>
    /// <c>∂f/∂x</c> of <paramref name="act"/> at the input <paramref name="x"/>, with ReLU′(0) = 0 and LeakyReLU′(0) = α
    /// (the left derivative at the kink, as PyTorch).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="act"/> is not a defined <see cref="Act"/>.</exception>
    public static double Derivative(Act act, double x, double alpha) => act switch
    {
        Act.Identity => 1,
        Act.ReLU => x > 0 ? 1 : 0,
        Act.Sigmoid => Sigmoid(x) * Sigmoid(-x),
        Act.Tanh => 1 - Math.Tanh(x) * Math.Tanh(x),
        Act.LeakyReLU or Act.PReLU => x > 0 ? 1 : alpha,
        Act.ELU => x > 0 ? 1 : alpha * Math.Exp(x),
        // d/dx ln(1 + eˣ) = eˣ/(1 + eˣ) = σ(x).
        Act.Softplus => Sigmoid(x),
        // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
        Act.GELU => NormalCdf(x) + x * Math.Exp(-0.5 * x * x) / Sqrt2Pi,
        // d/dx x·σ(x) = σ + x·σ(1 − σ) = σ(1 + x(1 − σ)), 1 − σ(x) = σ(−x).
        Act.SiLU => Sigmoid(x) * (1 + x * Sigmoid(-x)),
        _ => throw new ArgumentOutOfRangeException(nameof(act), act, null),
    };

    /// <summary>σ(x) = 1/(1 + e^−x); 0 (not NaN) when e^−x overflows.</summary>
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>The standard normal CDF <c>Φ(x) = ½(1 + erf(x/√2)) = ½·erfc(−x/√2)</c> (the second form keeps the negative tail's digits).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Sqrt2);

    /// <summary>
    /// <c>erf x = 2/√π ∫₀ˣ e^(−t²) dt</c>, within 1e-15 absolute: for |x| &lt; 2 the series
    /// <c>2/√π · e^(−x²) · Σₙ 2ⁿx^(2n+1)/(1·3·…·(2n+1))</c> (all terms positive, so no cancellation), else
    /// <c>±(1 − erfc |x|)</c> with <see cref="Erfc"/>'s continued fraction.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        return ax < 2 ? ErfSeries(x) : Math.CopySign(1 - ErfcFraction(ax), x);
    }

    /// <summary>
    /// <c>erfc x = 1 − erf x</c>, with relative accuracy (≈ 3e-15): <c>1 − erf</c> by the series for 0 ≤ x &lt; 1
    /// (erfc ≥ 0.157 there), <c>1 + erf |x|</c> for x &lt; 0, and for x ≥ 1 the continued fraction
    /// <c>e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + 2/(x + …)))))</c> evaluated bottom-up from 200 levels
    /// (converged to rounding for x ≥ 1), with <c>e^(−x²)</c> taken without x²'s rounding.
    /// </summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x < 0) return 1 + Erf(-x);
        return x < 1 ? 1 - ErfSeries(x) : ErfcFraction(x);
    }

    private static double ErfSeries(double x)
    {
        double term = x, sum = x, x2 = x * x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            double next = sum + term;
            if (next == sum) break;
            sum = next;
        }
        return 2 / SqrtPi * Math.Exp(-x2) * sum;
    }

    private static double ErfcFraction(double x)
    {
        double f = x;
        for (int n = 200; n >= 1; n--) f = x + n / 2.0 / f;
        return ExpNegSquare(x) / SqrtPi / f;
    }

    /// <summary>
    /// <c>e^(−x²)</c> without x²'s rounding, which would cost ≈ 1e-16·x² relative (7e-14 at x = 26):
    /// <c>e^(−xₕ²)·e^(−(x − xₕ)(x + xₕ))</c>, xₕ = x cut to 26 significant bits so that xₕ² is exact.
    /// </summary>
    private static double ExpNegSquare(double x)
    {
        double xh = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) & ~((1L << 27) - 1));
        return Math.Exp(-xh * xh) * Math.Exp(-(x - xh) * (x + xh));
    }

    /// <summary><c>eˣ − 1</c> without cancellation near 0 (Kahan: <c>u = eˣ</c>; x if u = 1, −1 if u − 1 = −1, else <c>(u − 1)·x/ln u</c>).</summary>
    public static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        if (um1 == -1) return -1;
        return double.IsPositiveInfinity(u) ? u : um1 * x / Math.Log(u);
    }

    /// <summary><c>ln(1 + t)</c> without cancellation near 0 (Goldberg: <c>u = 1 + t</c>; t if u = 1, else <c>ln u · t/(u − 1)</c>).</summary>
    public static double Log1P(double t)
    {
        double u = 1 + t;
        return u == 1 ? t : Math.Log(u) * t / (u - 1);
    }
}
