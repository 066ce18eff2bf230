using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Runtime;

/// <summary>
/// Folds an inference-mode batch norm into the dense layer before it (seed deck 000, "Batch normalization":
/// at test time it is a fixed affine map, so it costs nothing): with s = γ/√(σ²_run + ε) per output,
/// W′[o, :] = s·W[o, :] and b′ = s·(b − μ_run) + β.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class BatchNormFolding
{
    /// <summary>Writes W′ and b′; <paramref name="bias"/> may be empty (a dense layer without bias).</summary>
    public static void Fold(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, float epsilon, Span<float> foldedWeights, Span<float> foldedBias)
    {
        int outputs = gamma.Length;
        if (outputs == 0 || weights.Length % outputs != 0 || foldedWeights.Length != weights.Length || foldedBias.Length != outputs
            || beta.Length != outputs || runningMean.Length != outputs || runningVariance.Length != outputs || (bias.Length != 0 && bias.Length != outputs))
            throw new ArgumentException("Fold: the spans do not describe one dense layer of gamma.Length outputs.", nameof(weights));
        int inputs = weights.Length / outputs;
        for (int o = 0; o < outputs; o++)
        {
            // Same formula as the training-time kernels' inference branch: γ · (1/√(σ² + ε)) in float.
            float scale = gamma[o] * (1f / MathF.Sqrt(runningVariance[o] + epsilon));
            float b = bias.Length == 0 ? 0f : bias[o];
            foldedBias[o] = (b - runningMean[o]) * scale + beta[o];
            ReadOnlySpan<float> row = weights.Slice(o * inputs, inputs);
            Span<float> target = foldedWeights.Slice(o * inputs, inputs);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> sv = Vector256.Create(scale);
                ref float src = ref MemoryMarshal.GetReference(row);
                ref float dst = ref MemoryMarshal.GetReference(target);
                for (; i <= inputs - Vector256<float>.Count; i += Vector256<float>.Count)
                    Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref src, (nuint)i) * sv, ref dst, (nuint)i);
            }
            for (; i < inputs; i++) target[i] = row[i] * scale;
        }
    }
}
