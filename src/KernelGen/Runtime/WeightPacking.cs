using System;
using System.ComponentModel;

namespace KernelGen.Runtime;

/// <summary>
/// The packed inference layout of one dense layer, which Predict's outer-product kernels read: the bias padded with
/// zeros to <c>paddedOutputs</c> (a multiple of 32), then Wᵀ in panels of <c>panel</c> outputs (two vectors: 32 for
/// Vector512, 16 for Vector256, 8 for Vector128), each panel k-major — for every input k the panel's outputs side
/// by side — so the kernel loads whole vectors of weights and broadcasts one input. Outputs past the layer's end are
/// zeros, so the last panel needs no masked load. The canonical parameters are not touched.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class WeightPacking
{
    /// <summary>Writes the packed block of a dense layer with <paramref name="outputs"/> outputs; <paramref name="bias"/> may be empty.</summary>
    public static void Pack(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int outputs, int panel, Span<float> packed)
    {
        if (outputs <= 0 || weights.Length % outputs != 0 || panel <= 0 || 32 % panel != 0 || (bias.Length != 0 && bias.Length != outputs))
            throw new ArgumentException("Pack: the spans do not describe one dense layer of the given outputs and panel width.", nameof(weights));
        int inputs = weights.Length / outputs;
        int padded = (outputs + 31) / 32 * 32;
        int panels = (outputs + panel - 1) / panel;
        if ((long)packed.Length < padded + (long)panels * panel * inputs)
            throw new ArgumentException("Pack: the packed block is too short.", nameof(packed));
        for (int o = 0; o < padded; o++) packed[o] = o < bias.Length ? bias[o] : 0f;
        for (int p = 0; p < panels; p++)
        {
            Span<float> target = packed.Slice(padded + p * panel * inputs, panel * inputs);
            for (int j = 0; j < panel; j++)
            {
                int o = p * panel + j;
                if (o < outputs)
                {
                    ReadOnlySpan<float> row = weights.Slice(o * inputs, inputs);
                    for (int k = 0; k < inputs; k++) target[k * panel + j] = row[k];
                }
                else
                {
                    for (int k = 0; k < inputs; k++) target[k * panel + j] = 0f;
                }
            }
        }
    }
}
