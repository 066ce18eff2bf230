namespace KernelGen;

/// <summary>Activation functions (see <c>KernelGen.Ops</c> for the formulas).</summary>
public enum Act
{
    /// <summary><c>f(x) = x</c>.</summary>
    Identity = 0,
    /// <summary><c>f(x) = max(0, x)</c>.</summary>
    ReLU = 1,
    /// <summary><c>f(x) = 1 / (1 + e^−x)</c>.</summary>
    Sigmoid = 2,
    /// <summary><c>f(x) = tanh x</c>.</summary>
    Tanh = 3,
    /// <summary><c>f(x) = x</c> for x &gt; 0, <c>αx</c> otherwise; α = <see cref="ActivationAttribute.Alpha"/> (default 0.01).</summary>
    LeakyReLU = 4,
    /// <summary>Parametric ReLU: LeakyReLU with one learned α per unit (initialised to <see cref="ActivationAttribute.Alpha"/>, default 0.25), updated like any parameter.</summary>
    PReLU = 5,
    /// <summary><c>f(x) = x</c> for x &gt; 0, <c>α(eˣ − 1)</c> otherwise; α = <see cref="ActivationAttribute.Alpha"/> (default 1).</summary>
    ELU = 6,
    /// <summary><c>f(x) = ln(1 + eˣ)</c>.</summary>
    Softplus = 7,
    /// <summary><c>f(x) = x·Φ(x) = ½x(1 + erf(x/√2))</c> (the exact form, as PyTorch's default).</summary>
    GELU = 8,
    /// <summary><c>f(x) = x·σ(x)</c> (also called swish).</summary>
    SiLU = 9,
}
