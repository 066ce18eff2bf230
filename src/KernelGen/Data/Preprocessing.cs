using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using KernelGen.Runtime;

namespace KernelGen.Data;

/// <summary>What a <see cref="Preprocessor"/> does to a row <c>x</c> (course notes, deck 001 "Preprocessing the Data",
/// deck 003 "Normalizing inputs"; μ, σ, the covariance Σ = (1/N)·Σᵢ(xᵢ − μ)(xᵢ − μ)ᵀ = U·diag(λ)·Uᵀ come from the training rows).</summary>
public enum PreprocessingKind
{
    /// <summary><c>x − μ</c>, μ per feature ("subtract mean").</summary>
    ZeroCenter,
    /// <summary><c>(x − μ)/σ</c> per feature, σ floored at ε.</summary>
    Standardize,
    /// <summary><c>(x − μ)/σ</c> with one μ and one σ over every value of every row (σ floored at ε).</summary>
    StandardizeGlobal,
    /// <summary>PCA projection onto the top k eigenvectors: <c>U_kᵀ(x − μ)</c> (k outputs).</summary>
    Pca,
    /// <summary>PCA-whitening: <c>diag(1/√(λ + ε))·U_kᵀ(x − μ)</c> (k outputs; k = d is the full whitening).</summary>
    PcaWhiten,
    /// <summary>ZCA-whitening: <c>U·diag(1/√(λ + ε))·Uᵀ(x − μ)</c> (d outputs; whitened, then rotated back to pixel space).</summary>
    ZcaWhiten,
}

/// <summary>
/// A data preprocessor fitted on training rows only and applied to any rows with the same feature count, in place.
/// Fitting computes every statistic in double (may allocate); applying is float, allocation-free, and validates its
/// argument before it writes anything. Instances hold one preallocated scratch block for the projections, so
/// <see cref="Apply(Span{float})"/> is <b>not thread-safe</b>: one caller at a time per instance.
/// Save with <see cref="Export"/> (tensors) and <see cref="KindName"/> (metadata); <see cref="Import"/> restores an instance
/// that applies bit-identically.
/// </summary>
public sealed class Preprocessor
{
    /// <summary>Default floor on σ for the standardisations: σ' = max(σ, 1e-3). A constant feature (σ = 0, e.g. an always-black
    /// border pixel) is then only centred on the training data instead of dividing by 0; on features scaled to [0, 1] or
    /// [−1, 1] a real σ is far above it. For raw [0, 255] pixels it still only matters for constant pixels.</summary>
    public const double DefaultStandardDeviationFloor = 1e-3;

    /// <summary>Default ε added to each eigenvalue in the whitenings, 1/√(λ + ε) (the value of the course notes' references, 1e-5):
    /// it bounds the gain of near-zero-variance directions.</summary>
    public const double DefaultWhiteningEpsilon = 1e-5;

    private const int Block = 4; // rows per projection block: each matrix row is loaded once for 4 input rows

    private readonly float[] _mean;      // [InputFeatures], or [1] for StandardizeGlobal
    private readonly float[]? _scale;    // [InputFeatures] (Standardize) or [1] (StandardizeGlobal): 1/σ'
    private readonly float[]? _matrix;   // [OutputFeatures, InputFeatures] row-major: y = M(x − μ)
    private readonly float[]? _eigenvalues; // [OutputFeatures] for PCA kinds, [InputFeatures] for ZCA (informational)
    private readonly float[] _scratch;   // Block × (InputFeatures + OutputFeatures) for projections

    private Preprocessor(PreprocessingKind kind, int inputFeatures, int outputFeatures, float[] mean, float[]? scale, float[]? matrix, float[]? eigenvalues)
    {
        Kind = kind;
        InputFeatures = inputFeatures;
        OutputFeatures = outputFeatures;
        _mean = mean;
        _scale = scale;
        _matrix = matrix;
        _eigenvalues = eigenvalues;
        _scratch = matrix is null ? Array.Empty<float>() : new float[Block * (inputFeatures + outputFeatures)];
    }

    /// <summary>What this preprocessor computes.</summary>
    public PreprocessingKind Kind { get; }
    /// <summary>Features per input row.</summary>
    public int InputFeatures { get; }
    /// <summary>Features per output row (k for <see cref="PreprocessingKind.Pca"/> / <see cref="PreprocessingKind.PcaWhiten"/>, else <see cref="InputFeatures"/>).</summary>
    public int OutputFeatures { get; }
    /// <summary>The fitted mean: per feature, or one value for <see cref="PreprocessingKind.StandardizeGlobal"/>.</summary>
    public ReadOnlySpan<float> Mean => _mean;
    /// <summary>1/σ' per feature (or one value, global); empty for the other kinds.</summary>
    public ReadOnlySpan<float> Scale => _scale;
    /// <summary>The projection M of <c>y = M(x − μ)</c>, <c>[OutputFeatures, InputFeatures]</c> row-major; empty for the element-wise kinds.</summary>
    public ReadOnlySpan<float> Matrix => _matrix;
    /// <summary>Covariance eigenvalues, descending (the kept ones for PCA); empty for the element-wise kinds.</summary>
    public ReadOnlySpan<float> Eigenvalues => _eigenvalues;

    /// <summary>The kind as stored in metadata: <c>zero_center</c>, <c>standardize</c>, <c>standardize_global</c>, <c>pca</c>, <c>pca_whiten</c>, <c>zca_whiten</c>.</summary>
    public string KindName => NameOf(Kind);

    /// <summary>The metadata name of <paramref name="kind"/> (see <see cref="KindName"/>).</summary>
    public static string NameOf(PreprocessingKind kind) => kind switch
    {
        PreprocessingKind.ZeroCenter => "zero_center",
        PreprocessingKind.Standardize => "standardize",
        PreprocessingKind.StandardizeGlobal => "standardize_global",
        PreprocessingKind.Pca => "pca",
        PreprocessingKind.PcaWhiten => "pca_whiten",
        PreprocessingKind.ZcaWhiten => "zca_whiten",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown preprocessing kind."),
    };

    /// <summary>Parses a <see cref="KindName"/>.</summary>
    public static PreprocessingKind ParseKind(string name) => name switch
    {
        "zero_center" => PreprocessingKind.ZeroCenter,
        "standardize" => PreprocessingKind.Standardize,
        "standardize_global" => PreprocessingKind.StandardizeGlobal,
        "pca" => PreprocessingKind.Pca,
        "pca_whiten" => PreprocessingKind.PcaWhiten,
        "zca_whiten" => PreprocessingKind.ZcaWhiten,
        _ => throw new ArgumentException($"Unknown preprocessing kind '{name}'; expected zero_center, standardize, standardize_global, pca, pca_whiten or zca_whiten.", nameof(name)),
    };

    // ------------------------------------------------------------------ fitting

    /// <summary>Fits <see cref="PreprocessingKind.ZeroCenter"/>: μ per feature over the training rows.</summary>
    public static Preprocessor FitZeroCenter(ReadOnlySpan<float> rows, int featureCount)
    {
        int n = CheckFit(rows, featureCount);
        return new Preprocessor(PreprocessingKind.ZeroCenter, featureCount, featureCount, ToFloat(MeanOf(rows, n, featureCount)), null, null, null);
    }

    /// <summary>Fits <see cref="PreprocessingKind.Standardize"/>: μ and σ (biased, 1/N) per feature, σ' = max(σ, <paramref name="standardDeviationFloor"/>).</summary>
    public static Preprocessor FitStandardize(ReadOnlySpan<float> rows, int featureCount, double standardDeviationFloor = DefaultStandardDeviationFloor)
    {
        int n = CheckFit(rows, featureCount);
        CheckPositive(standardDeviationFloor, nameof(standardDeviationFloor));
        double[] mean = MeanOf(rows, n, featureCount);
        var variance = new double[featureCount];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = rows.Slice(r * featureCount, featureCount);
            for (int j = 0; j < featureCount; j++)
            {
                double c = row[j] - mean[j];
                variance[j] += c * c;
            }
        }
        var scale = new float[featureCount];
        for (int j = 0; j < featureCount; j++) scale[j] = (float)(1.0 / Math.Max(Math.Sqrt(variance[j] / n), standardDeviationFloor));
        return new Preprocessor(PreprocessingKind.Standardize, featureCount, featureCount, ToFloat(mean), scale, null, null);
    }

    /// <summary>Fits <see cref="PreprocessingKind.StandardizeGlobal"/>: one μ and one σ (1/N) over all values, σ' = max(σ, <paramref name="standardDeviationFloor"/>).</summary>
    public static Preprocessor FitStandardizeGlobal(ReadOnlySpan<float> rows, int featureCount, double standardDeviationFloor = DefaultStandardDeviationFloor)
    {
        CheckFit(rows, featureCount);
        CheckPositive(standardDeviationFloor, nameof(standardDeviationFloor));
        double sum = 0;
        foreach (float v in rows) sum += v;
        double mean = sum / rows.Length, ss = 0;
        foreach (float v in rows) ss += (v - mean) * (v - mean);
        double sigma = Math.Max(Math.Sqrt(ss / rows.Length), standardDeviationFloor);
        return new Preprocessor(PreprocessingKind.StandardizeGlobal, featureCount, featureCount, new[] { (float)mean }, new[] { (float)(1.0 / sigma) }, null, null);
    }

    /// <summary>Fits a PCA projection onto the <paramref name="components"/> eigenvectors of the covariance with the largest
    /// eigenvalues, <c>U_kᵀ(x − μ)</c>, or with <paramref name="whiten"/> <c>diag(1/√(λ + ε))·U_kᵀ(x − μ)</c>
    /// (<see cref="PreprocessingKind.PcaWhiten"/>). Covariance and eigen-decomposition in double.</summary>
    public static Preprocessor FitPca(ReadOnlySpan<float> rows, int featureCount, int components, bool whiten = false, double epsilon = DefaultWhiteningEpsilon)
    {
        int n = CheckFit(rows, featureCount);
        if (components < 1 || components > featureCount)
            throw new ArgumentOutOfRangeException(nameof(components), components, $"Expected 1 to {featureCount} (featureCount) components.");
        CheckEpsilon(epsilon, nameof(epsilon));
        var (mean, values, vectors) = Eigen(rows, n, featureCount);
        var matrix = new float[components * featureCount];
        var kept = new float[components];
        for (int c = 0; c < components; c++)
        {
            double gain = whiten ? 1.0 / Math.Sqrt(Math.Max(values[c], 0) + epsilon) : 1.0;
            for (int j = 0; j < featureCount; j++) matrix[c * featureCount + j] = (float)(vectors[c][j] * gain);
            kept[c] = (float)values[c];
        }
        return new Preprocessor(whiten ? PreprocessingKind.PcaWhiten : PreprocessingKind.Pca, featureCount, components, ToFloat(mean), null, matrix, kept);
    }

    /// <summary>Fits PCA-whitening with all components: <c>diag(1/√(λ + ε))·Uᵀ(x − μ)</c>.</summary>
    public static Preprocessor FitPcaWhitening(ReadOnlySpan<float> rows, int featureCount, double epsilon = DefaultWhiteningEpsilon)
        => FitPca(rows, featureCount, featureCount, whiten: true, epsilon);

    /// <summary>Fits ZCA-whitening: <c>U·diag(1/√(λ + ε))·Uᵀ(x − μ)</c>, the whitening closest to the data (a symmetric matrix).</summary>
    public static Preprocessor FitZcaWhitening(ReadOnlySpan<float> rows, int featureCount, double epsilon = DefaultWhiteningEpsilon)
    {
        int n = CheckFit(rows, featureCount);
        CheckEpsilon(epsilon, nameof(epsilon));
        int d = featureCount;
        var (mean, values, vectors) = Eigen(rows, n, d);
        var gain = new double[d];
        for (int c = 0; c < d; c++) gain[c] = 1.0 / Math.Sqrt(Math.Max(values[c], 0) + epsilon);
        // W[i, j] = Σ_c U[i, c]·gain[c]·U[j, c], U[i, c] = vectors[c][i]; accumulated in double.
        var w = new double[d * d];
        for (int c = 0; c < d; c++)
        {
            double[] u = vectors[c];
            for (int i = 0; i < d; i++)
            {
                double a = u[i] * gain[c];
                if (a == 0) continue;
                Span<double> wi = w.AsSpan(i * d, d);
                for (int j = 0; j < d; j++) wi[j] += a * u[j];
            }
        }
        var eig = new float[d];
        for (int c = 0; c < d; c++) eig[c] = (float)values[c];
        return new Preprocessor(PreprocessingKind.ZcaWhiten, d, d, ToFloat(mean), null, ToFloat(w), eig);
    }

    /// <summary>Fits <paramref name="kind"/> with the defaults (<paramref name="components"/> only for the PCA kinds: 0 = all).</summary>
    public static Preprocessor Fit(PreprocessingKind kind, ReadOnlySpan<float> rows, int featureCount, int components = 0) => kind switch
    {
        PreprocessingKind.ZeroCenter => FitZeroCenter(rows, featureCount),
        PreprocessingKind.Standardize => FitStandardize(rows, featureCount),
        PreprocessingKind.StandardizeGlobal => FitStandardizeGlobal(rows, featureCount),
        PreprocessingKind.Pca => FitPca(rows, featureCount, components == 0 ? featureCount : components),
        PreprocessingKind.PcaWhiten => FitPca(rows, featureCount, components == 0 ? featureCount : components, whiten: true),
        PreprocessingKind.ZcaWhiten => FitZcaWhitening(rows, featureCount),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown preprocessing kind."),
    };

    /// <summary>Fits on a dataset's features (its training rows only: fit on the training part of a split).</summary>
    public static Preprocessor Fit(PreprocessingKind kind, Dataset training, int components = 0)
    {
        ArgumentNullException.ThrowIfNull(training);
        return Fit(kind, training.Features, training.FeatureCount, components);
    }

    private static int CheckFit(ReadOnlySpan<float> rows, int featureCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        int n = Guard.Rows(rows.Length, featureCount, nameof(rows), "featureCount");
        Guard.Finite(rows, nameof(rows));
        return n;
    }

    private static void CheckPositive(double value, string name)
    {
        if (!(value > 0 && double.IsFinite(value))) throw new ArgumentOutOfRangeException(name, value, "Expected a finite value > 0.");
    }

    private static void CheckEpsilon(double value, string name)
    {
        if (!(value >= 0 && double.IsFinite(value))) throw new ArgumentOutOfRangeException(name, value, "Expected a finite value ≥ 0.");
    }

    private static double[] MeanOf(ReadOnlySpan<float> rows, int n, int d)
    {
        var mean = new double[d];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = rows.Slice(r * d, d);
            for (int j = 0; j < d; j++) mean[j] += row[j];
        }
        for (int j = 0; j < d; j++) mean[j] /= n;
        return mean;
    }

    private static float[] ToFloat(double[] values)
    {
        var f = new float[values.Length];
        for (int i = 0; i < f.Length; i++) f[i] = (float)values[i];
        return f;
    }

    /// <summary>Mean, then the eigen-decomposition of Σ = (1/N)·Σᵢ(xᵢ − μ)(xᵢ − μ)ᵀ, all in double.</summary>
    private static (double[] Mean, double[] Values, double[][] Vectors) Eigen(ReadOnlySpan<float> rows, int n, int d)
    {
        double[] mean = MeanOf(rows, n, d);
        double[] cov = Covariance(rows, n, d, mean);
        var (values, vectors) = SymmetricEigen.Decompose(cov, d);
        return (mean, values, vectors);
    }

    /// <summary>(1/N)·CᵀC with C the centred rows, in double. Rows go in blocks of 64, transposed (feature-major), so each
    /// covariance entry is a contiguous 64-long dot product and the d × d matrix is swept once per block, not once per row.</summary>
    internal static double[] Covariance(ReadOnlySpan<float> rows, int n, int d, double[] mean)
    {
        const int B = 64;
        var cov = new double[d * d];
        var t = new double[d * B]; // t[j·B + b] = x[b, j] − μ[j]
        for (int start = 0; start < n; start += B)
        {
            int count = Math.Min(B, n - start);
            if (count < B) Array.Clear(t);
            for (int b = 0; b < count; b++)
            {
                ReadOnlySpan<float> row = rows.Slice((start + b) * d, d);
                for (int j = 0; j < d; j++) t[j * B + b] = row[j] - mean[j];
            }
            for (int i = 0; i < d; i++)
            {
                ReadOnlySpan<Vector<double>> ti = MemoryMarshal.Cast<double, Vector<double>>(t.AsSpan(i * B, B));
                Span<double> ci = cov.AsSpan(i * d, d);
                for (int j = i; j < d; j++)
                {
                    ReadOnlySpan<Vector<double>> tj = MemoryMarshal.Cast<double, Vector<double>>(t.AsSpan(j * B, B));
                    Vector<double> acc = Vector<double>.Zero;
                    for (int k = 0; k < ti.Length; k++) acc += ti[k] * tj[k];
                    ci[j] += Vector.Sum(acc);
                }
            }
        }
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++)
            {
                double v = cov[i * d + j] / n;
                cov[i * d + j] = v;
                cov[j * d + i] = v;
            }
        return cov;
    }

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

    // ------------------------------------------------------------------ saving

    /// <summary>
    /// The fitted statistics as named float tensors, to save beside the model: <c>{prefix}mean</c> (<c>[InputFeatures]</c>; standardize_global
    /// repeats its one μ), <c>{prefix}scale</c> (1/σ', standardisations), <c>{prefix}matrix</c>
    /// (<c>[OutputFeatures, InputFeatures]</c>, PCA and whitening kinds) and <c>{prefix}eigenvalues</c>. Store <see cref="KindName"/>
    /// in the metadata; <see cref="Import"/> takes both back. The arrays are copies.
    /// </summary>
    public IReadOnlyList<(string Name, int[] Shape, float[] Data)> Export(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var list = new List<(string, int[], float[])> { (prefix + "mean", new[] { InputFeatures }, Expand(_mean)) };
        if (_scale is not null) list.Add((prefix + "scale", new[] { InputFeatures }, Expand(_scale)));
        if (_matrix is not null) list.Add((prefix + "matrix", new[] { OutputFeatures, InputFeatures }, (float[])_matrix.Clone()));
        if (_eigenvalues is not null) list.Add((prefix + "eigenvalues", new[] { _eigenvalues.Length }, (float[])_eigenvalues.Clone()));
        return list;
    }

    private float[] Expand(float[] values)
    {
        if (values.Length == InputFeatures) return (float[])values.Clone();
        var a = new float[InputFeatures];
        a.AsSpan().Fill(values[0]);
        return a;
    }

    /// <summary>Restores a preprocessor from <see cref="Export"/>'s tensors and the stored <see cref="KindName"/>; it applies
    /// bit-identically to the exported one. Missing tensors, wrong shapes or non-finite values → <see cref="ArgumentException"/>.</summary>
    public static Preprocessor Import(string kind, IReadOnlyDictionary<string, (int[] Shape, float[] Data)> tensors, string prefix)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(prefix);
        PreprocessingKind k = ParseKind(kind);
        float[] mean = Tensor(tensors, prefix + "mean", 1);
        switch (k)
        {
            case PreprocessingKind.ZeroCenter:
                return new Preprocessor(k, mean.Length, mean.Length, mean, null, null, null);
            case PreprocessingKind.Standardize:
            {
                float[] scale = Tensor(tensors, prefix + "scale", 1, mean.Length);
                return new Preprocessor(k, mean.Length, mean.Length, mean, scale, null, null);
            }
            case PreprocessingKind.StandardizeGlobal:
            {
                // Stored as [InputFeatures] copies of the one μ and the one 1/σ', so the feature count travels with them.
                float[] scale = Tensor(tensors, prefix + "scale", 1, mean.Length);
                for (int i = 1; i < mean.Length; i++)
                    if (mean[i].CompareTo(mean[0]) != 0 || scale[i].CompareTo(scale[0]) != 0)
                        throw new ArgumentException($"Tensors '{prefix}mean' and '{prefix}scale' of standardize_global must repeat one value; entry {i} differs.", nameof(tensors));
                return new Preprocessor(k, mean.Length, mean.Length, new[] { mean[0] }, new[] { scale[0] }, null, null);
            }
            default:
            {
                (int[] shape, float[] matrix) = Get(tensors, prefix + "matrix");
                if (shape.Length != 2 || shape[1] != mean.Length || shape[0] < 1 || matrix.Length != shape[0] * shape[1] || (k == PreprocessingKind.ZcaWhiten && shape[0] != shape[1]))
                    throw new ArgumentException($"Tensor '{prefix}matrix' has shape [{string.Join(", ", shape)}]; expected [k, {mean.Length}]{(k == PreprocessingKind.ZcaWhiten ? $" with k = {mean.Length}" : string.Empty)}.", nameof(tensors));
                Guard.Finite(matrix, nameof(tensors));
                float[]? eig = tensors.ContainsKey(prefix + "eigenvalues") ? Tensor(tensors, prefix + "eigenvalues", 1) : null;
                return new Preprocessor(k, mean.Length, shape[0], mean, null, (float[])matrix.Clone(), eig);
            }
        }
    }

    private static (int[] Shape, float[] Data) Get(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> tensors, string name)
    {
        if (!tensors.TryGetValue(name, out var t) || t.Shape is null || t.Data is null)
            throw new ArgumentException($"Tensor '{name}' is missing.", nameof(tensors));
        return t;
    }

    private static float[] Tensor(IReadOnlyDictionary<string, (int[] Shape, float[] Data)> tensors, string name, int rank, int length = -1)
    {
        (int[] shape, float[] data) = Get(tensors, name);
        if (shape.Length != rank || shape[0] < 1 || shape[0] != data.Length || (length >= 0 && data.Length != length))
            throw new ArgumentException($"Tensor '{name}' has shape [{string.Join(", ", shape)}] and {data.Length} values; expected [{(length >= 0 ? length : "n ≥ 1")}].", nameof(tensors));
        Guard.Finite(data, nameof(tensors));
        return (float[])data.Clone();
    }
}
