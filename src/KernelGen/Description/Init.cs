namespace KernelGen;

/// <summary>Weight initialisers; <c>fan_in</c> = layer inputs, <c>fan_out</c> = layer outputs.</summary>
public enum Init
{
    /// <summary>All zeros.</summary>
    Zeros = 0,
    /// <summary>Normal, σ = 0.01.</summary>
    SmallNormal = 1,
    /// <summary>Uniform(−a, a), a = √(6 / (fan_in + fan_out)) — Var = 2/(fan_in+fan_out).</summary>
    XavierUniform = 2,
    /// <summary>Normal, Var = 2 / (fan_in + fan_out).</summary>
    XavierNormal = 3,
    /// <summary>Uniform(−a, a), a = √(6 / fan_in) — Var = 2/fan_in.</summary>
    HeUniform = 4,
    /// <summary>Normal, Var = 2 / fan_in.</summary>
    HeNormal = 5,
    /// <summary>Normal, Var = 1 / fan_in.</summary>
    LeCunNormal = 6,
    /// <summary>Every weight equal to <see cref="DenseAttribute.InitValue"/>.</summary>
    Constant = 7,
}
