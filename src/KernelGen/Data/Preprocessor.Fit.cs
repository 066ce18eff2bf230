using System;
using System.Numerics;
using System.Runtime.InteropServices;
using KernelGen.Runtime;

namespace KernelGen.Data;

public sealed partial class Preprocessor
{
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
}
