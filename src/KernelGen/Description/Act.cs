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
}
