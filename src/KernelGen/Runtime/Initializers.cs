using System;

namespace KernelGen.Runtime;

/// <summary>Weight initialisers, written from the formulas in the course notes (seed deck 000, "Weight initialization").</summary>
public static class Initializers
{
    /// <summary>Standard deviation of the normal initialisers (0 for the uniform ones and Zeros).</summary>
    public static double StandardDeviation(Init init, int fanIn, int fanOut) => init switch
    {
        Init.SmallNormal => 0.01,
        Init.XavierNormal => Math.Sqrt(2.0 / (fanIn + fanOut)),
        Init.HeNormal => Math.Sqrt(2.0 / fanIn),
        Init.LeCunNormal => Math.Sqrt(1.0 / fanIn),
        _ => 0.0,
    };

    /// <summary>Half-width <c>a</c> of the uniform initialisers U(−a, a) (0 for the others).</summary>
    public static double UniformLimit(Init init, int fanIn, int fanOut) => init switch
    {
        Init.XavierUniform => Math.Sqrt(6.0 / (fanIn + fanOut)),
        Init.HeUniform => Math.Sqrt(6.0 / fanIn),
        _ => 0.0,
    };

    /// <summary>Fills <paramref name="weights"/> for a layer with the given fans, drawing from <paramref name="rng"/>.</summary>
    public static void Fill(Span<float> weights, Init init, int fanIn, int fanOut, ref Rng rng) => Fill(weights, init, fanIn, fanOut, ref rng, 0f);

    /// <summary>As <see cref="Fill(Span{float}, Init, int, int, ref Rng)"/>; <paramref name="constant"/> is the value of <see cref="Init.Constant"/>.</summary>
    public static void Fill(Span<float> weights, Init init, int fanIn, int fanOut, ref Rng rng, float constant)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanIn);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanOut);
        switch (init)
        {
            case Init.Zeros:
                weights.Clear();
                break;
            case Init.Constant:
                weights.Fill(constant);
                break;
            case Init.XavierUniform:
            case Init.HeUniform:
                double a = UniformLimit(init, fanIn, fanOut);
                for (int i = 0; i < weights.Length; i++) weights[i] = (float)((2.0 * rng.NextDouble() - 1.0) * a);
                break;
            case Init.SmallNormal:
            case Init.XavierNormal:
            case Init.HeNormal:
            case Init.LeCunNormal:
                double sigma = StandardDeviation(init, fanIn, fanOut);
                for (int i = 0; i < weights.Length; i++) weights[i] = (float)(rng.NextGaussian() * sigma);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(init), init, "Unknown initialiser.");
        }
    }
}
