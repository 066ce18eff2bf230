namespace KernelGen;

/// <summary>Which generated kernel body a network runs.</summary>
public enum Isa
{
    /// <summary>The widest width the CPU accelerates (Vector512, then Vector256, then Vector128, else scalar).</summary>
    Auto = 0,
    /// <summary>Plain scalar loops.</summary>
    Scalar = 1,
    /// <summary><c>Vector128&lt;float&gt;</c> bodies (SSE, NEON).</summary>
    Vector128 = 2,
    /// <summary><c>Vector256&lt;float&gt;</c> bodies (AVX2 + FMA).</summary>
    Vector256 = 3,
    /// <summary><c>Vector512&lt;float&gt;</c> bodies (AVX-512). Runs, slowly, in software where not accelerated.</summary>
    Vector512 = 4,
}
