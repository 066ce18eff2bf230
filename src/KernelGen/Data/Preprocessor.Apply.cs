using System;
using System.Numerics;
using System.Runtime.InteropServices;
using KernelGen.Runtime;

namespace KernelGen.Data;

public sealed partial class Preprocessor
{
    // ------------------------------------------------------------------ applying

    /// <summary>
    /// Applies the preprocessor in place to <c>rows × InputFeatures</c> values and returns the number of rows. When
    /// <see cref="OutputFeatures"/> &lt; <see cref="InputFeatures"/> (PCA to k components) the <c>rows × OutputFeatures</c>
    /// results are packed at the start of <paramref name="data"/> and the rest is left as it was. Allocation-free; throws
    /// <see cref="ArgumentException"/> for a length that is not a positive multiple of <see cref="InputFeatures"/> or a
    /// non-finite value, before anything is written.
    /// </summary>
    public int Apply(Span<float> data)
    {
        int rows = Guard.Rows(data.Length, InputFeatures, nameof(data), "InputFeatures");
        Guard.Finite(data, nameof(data));
        if (_matrix is null) ApplyElementwise(data, data, rows);
        else Project(data, data, rows);
        return rows;
    }

    /// <summary>Whether <see cref="Invert"/> is available (zero-centring and standardisation: element-wise kinds).</summary>
    public bool IsInvertible => _matrix is null;

    /// <summary>
    /// Undoes <see cref="Apply(Span{float})"/> in place for the element-wise kinds (x = y / scale + mean), e.g. to augment
    /// raw images inside a standardised batch; equal to the original up to float rounding. Allocation-free. Projection
    /// kinds (PCA, whitening) throw <see cref="InvalidOperationException"/>.
    /// </summary>
    public void Invert(Span<float> data)
    {
        if (_matrix is not null) throw new InvalidOperationException($"A {KindName} preprocessor is a projection; only zero-centring and standardisation can be inverted.");
        int rows = Guard.Rows(data.Length, InputFeatures, nameof(data), "InputFeatures");
        int d = InputFeatures;
        for (int r = 0; r < rows; r++)
        {
            Span<float> y = data.Slice(r * d, d);
            for (int i = 0; i < d; i++)
            {
                float scale = _scale is null ? 1f : _scale[Kind == PreprocessingKind.StandardizeGlobal ? 0 : i];
                float mean = _mean[Kind == PreprocessingKind.StandardizeGlobal ? 0 : i];
                y[i] = y[i] / scale + mean;
            }
        }
    }

    /// <summary>Writes the preprocessed <paramref name="input"/> (<c>rows × InputFeatures</c>) to <paramref name="output"/>
    /// (<c>rows × OutputFeatures</c>); the two must not overlap (use <see cref="Apply(Span{float})"/> for in place). Allocation-free.</summary>
    public void Transform(ReadOnlySpan<float> input, Span<float> output)
    {
        int rows = Guard.Rows(input.Length, InputFeatures, nameof(input), "InputFeatures");
        Guard.RowsLength(output.Length, rows, OutputFeatures, nameof(output), "OutputFeatures");
        if (input.Overlaps(output)) throw new ArgumentException("output overlaps input; use Apply for in-place preprocessing.", nameof(output));
        Guard.Finite(input, nameof(input));
        if (_matrix is null) ApplyElementwise(input, output, rows);
        else Project(input, output, rows);
    }

    /// <summary>Applies the preprocessor to a dataset's features in place (kinds with <see cref="OutputFeatures"/> = <see cref="InputFeatures"/>).</summary>
    public void ApplyTo(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckDataset(data);
        if (OutputFeatures != InputFeatures)
            throw new ArgumentException($"This {KindName} preprocessor writes {OutputFeatures} features per row, not {InputFeatures}; use Transform(Dataset) for a new dataset.", nameof(data));
        Apply(data.Features);
    }

    /// <summary>A new dataset with the preprocessed features (<see cref="OutputFeatures"/> per row) and the same labels.</summary>
    public Dataset Transform(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckDataset(data);
        var features = new float[data.Count * OutputFeatures];
        if (data.Count > 0) Transform(data.Features, features);
        return new Dataset(features, (int[])data.Labels.Clone(), OutputFeatures, data.ClassCount);
    }

    private void CheckDataset(Dataset data)
    {
        if (data.FeatureCount != InputFeatures)
            throw new ArgumentException($"data has {data.FeatureCount} features per row; this preprocessor was fitted on {InputFeatures} (InputFeatures).", nameof(data));
    }

    private void ApplyElementwise(ReadOnlySpan<float> input, Span<float> output, int rows)
    {
        int d = InputFeatures;
        if (Kind == PreprocessingKind.StandardizeGlobal)
        {
            float m = _mean[0], s = _scale![0];
            Affine(input, output, m, s);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = input.Slice(r * d, d);
            Span<float> y = output.Slice(r * d, d);
            if (_scale is null) Center(x, y, _mean);
            else CenterScale(x, y, _mean, _scale);
        }
    }

    private static void Affine(ReadOnlySpan<float> x, Span<float> y, float m, float s)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            Span<Vector<float>> vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            Vector<float> vm = new(m), vs = new(s);
            for (int k = 0; k < vx.Length; k++) vy[k] = (vx[k] - vm) * vs;
            i = vx.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) y[i] = (x[i] - m) * s;
    }

    private static void Center(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> m)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x), vm = MemoryMarshal.Cast<float, Vector<float>>(m);
            Span<Vector<float>> vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (int k = 0; k < vx.Length; k++) vy[k] = vx[k] - vm[k];
            i = vx.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) y[i] = x[i] - m[i];
    }

    private static void CenterScale(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> m, ReadOnlySpan<float> s)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x), vm = MemoryMarshal.Cast<float, Vector<float>>(m), vs = MemoryMarshal.Cast<float, Vector<float>>(s);
            Span<Vector<float>> vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (int k = 0; k < vx.Length; k++) vy[k] = (vx[k] - vm[k]) * vs[k];
            i = vx.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) y[i] = (x[i] - m[i]) * s[i];
    }

    /// <summary>y = M(x − μ), <see cref="Block"/> rows at a time through the scratch (so in place works, and each matrix row
    /// is read once per block). Every output is the same dot product in the same order whatever the block, so a row's result
    /// does not depend on its neighbours.</summary>
    private void Project(ReadOnlySpan<float> input, Span<float> output, int rows)
    {
        int d = InputFeatures, k = OutputFeatures;
        float[] m = _matrix!;
        Span<float> centred = _scratch.AsSpan(0, Block * d);
        Span<float> result = _scratch.AsSpan(Block * d, Block * k);
        for (int start = 0; start < rows; start += Block)
        {
            int count = Math.Min(Block, rows - start);
            for (int b = 0; b < count; b++) Center(input.Slice((start + b) * d, d), centred.Slice(b * d, d), _mean);
            if (count == Block)
            {
                ReadOnlySpan<float> c0 = centred.Slice(0, d), c1 = centred.Slice(d, d), c2 = centred.Slice(2 * d, d), c3 = centred.Slice(3 * d, d);
                for (int o = 0; o < k; o++)
                {
                    Dot4(m.AsSpan(o * d, d), c0, c1, c2, c3, out float r0, out float r1, out float r2, out float r3);
                    result[o] = r0;
                    result[k + o] = r1;
                    result[2 * k + o] = r2;
                    result[3 * k + o] = r3;
                }
            }
            else
            {
                for (int b = 0; b < count; b++)
                    for (int o = 0; o < k; o++) result[b * k + o] = Dot(m.AsSpan(o * d, d), centred.Slice(b * d, d));
            }
            result.Slice(0, count * k).CopyTo(output.Slice(start * k, count * k));
        }
    }

    private static float Dot(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        int i = 0;
        float s = 0;
        if (Vector.IsHardwareAccelerated && w.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> vw = MemoryMarshal.Cast<float, Vector<float>>(w), vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            Vector<float> acc = Vector<float>.Zero;
            for (int k = 0; k < vw.Length; k++) acc += vw[k] * vx[k];
            s = Vector.Sum(acc);
            i = vw.Length * Vector<float>.Count;
        }
        for (; i < w.Length; i++) s += w[i] * x[i];
        return s;
    }

    /// <summary>Four <see cref="Dot"/>s sharing the loads of <paramref name="w"/>; each result bit-identical to <see cref="Dot"/>.</summary>
    private static void Dot4(ReadOnlySpan<float> w, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2, ReadOnlySpan<float> x3,
        out float r0, out float r1, out float r2, out float r3)
    {
        int i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Vector.IsHardwareAccelerated && w.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> vw = MemoryMarshal.Cast<float, Vector<float>>(w);
            ReadOnlySpan<Vector<float>> v0 = MemoryMarshal.Cast<float, Vector<float>>(x0), v1 = MemoryMarshal.Cast<float, Vector<float>>(x1);
            ReadOnlySpan<Vector<float>> v2 = MemoryMarshal.Cast<float, Vector<float>>(x2), v3 = MemoryMarshal.Cast<float, Vector<float>>(x3);
            Vector<float> a0 = Vector<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (int k = 0; k < vw.Length; k++)
            {
                Vector<float> m = vw[k];
                a0 += m * v0[k];
                a1 += m * v1[k];
                a2 += m * v2[k];
                a3 += m * v3[k];
            }
            s0 = Vector.Sum(a0); s1 = Vector.Sum(a1); s2 = Vector.Sum(a2); s3 = Vector.Sum(a3);
            i = vw.Length * Vector<float>.Count;
        }
        for (; i < w.Length; i++)
        {
            float m = w[i];
            s0 += m * x0[i]; s1 += m * x1[i]; s2 += m * x2[i]; s3 += m * x3[i];
        }
        r0 = s0; r1 = s1; r2 = s2; r3 = s3;
    }
}
