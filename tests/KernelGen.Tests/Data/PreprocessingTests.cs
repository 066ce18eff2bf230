using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using KernelGen.Data;
using MathNet.Numerics.LinearAlgebra;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Preprocessing (deck 001 "Preprocessing the Data", deck 003 "Normalizing inputs"): zero-centring, standardisation,
/// PCA and PCA/ZCA whitening, checked against scalar formulas and MathNet's eigen-decomposition as an independent oracle.</summary>
[Collection("Allocation")]
public class PreprocessingTests
{
    /// <summary>Correlated rows: z·A + noise with a few constant features (like black border pixels).</summary>
    private static float[] Correlated(Random r, int rows, int d, int rank = 5, int constant = 2)
    {
        var a = new double[rank, d];
        for (int i = 0; i < rank; i++)
            for (int j = 0; j < d; j++) a[i, j] = Values.Normal(r) * (1 + i);
        var x = new float[rows * d];
        for (int n = 0; n < rows; n++)
        {
            var z = new double[rank];
            for (int i = 0; i < rank; i++) z[i] = Values.Normal(r);
            for (int j = 0; j < d; j++)
            {
                double v = 3 + 0.3 * Values.Normal(r);
                for (int i = 0; i < rank; i++) v += z[i] * a[i, j];
                x[n * d + j] = j < constant ? 0.5f : (float)v;
            }
        }
        return x;
    }

    private static Matrix<double> ToMatrix(float[] x, int d) => Matrix<double>.Build.Dense(x.Length / d, d, (i, j) => x[i * d + j]);

    private static Matrix<double> CovarianceOf(Matrix<double> x)
    {
        var mean = x.ColumnSums() / x.RowCount;
        var c = x - Matrix<double>.Build.Dense(x.RowCount, x.ColumnCount, (i, j) => mean[j]);
        return c.TransposeThisAndMultiply(c) / x.RowCount;
    }

    [Fact]
    public void Symmetric_eigen_decomposition_matches_MathNet_and_reconstructs()
    {
        Prop.ForAll(Gen.Choose(1, 60).ToArbitrary(), Gen.Choose(0, 100000).ToArbitrary(), (n, seed) =>
        {
            var r = new Random(seed);
            var m = Matrix<double>.Build.Dense(n, n, (_, _) => Values.Normal(r));
            m = m + m.Transpose();
            if (seed % 3 == 0) m = m * m.Transpose(); // positive semi-definite with clustered small eigenvalues
            double[] flat = new double[n * n];
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) flat[i * n + j] = m[i, j];
            var (values, vectors) = SymmetricEigen.Decompose(flat, n);
            double scale = m.L2Norm();
            double[] expected = m.Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderByDescending(v => v).ToArray();
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(values[i] - expected[i]) <= 1e-10 * scale, $"n = {n}: λ{i} {values[i]} vs MathNet {expected[i]}");
            for (int i = 1; i < n; i++) Assert.True(values[i] <= values[i - 1]);
            var u = Matrix<double>.Build.Dense(n, n, (i, j) => vectors[j][i]);
            Assert.True((u.TransposeThisAndMultiply(u) - Matrix<double>.Build.DenseIdentity(n)).L2Norm() < 1e-12 * n, "UᵀU = I");
            var recon = u * Matrix<double>.Build.DenseOfDiagonalArray(values) * u.Transpose();
            Assert.True((recon - m).L2Norm() <= 1e-11 * Math.Max(scale, 1), $"n = {n}: ‖UΛUᵀ − A‖ = {(recon - m).L2Norm():E2}");
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Zero_centring_and_standardisation_follow_the_scalar_formulas_bit_exactly()
    {
        Prop.ForAll(Gen.Choose(1, 40).ToArbitrary(), Gen.Choose(2, 50).ToArbitrary(), Gen.Choose(0, 100000).ToArbitrary(), (d, rows, seed) =>
        {
            var r = new Random(seed);
            float[] train = Correlated(r, rows, d, rank: 2, constant: Math.Min(1, d - 1));
            float[] test = Correlated(r, 7, d, rank: 2, constant: 0);
            foreach (Preprocessor p in new[] { Preprocessor.FitZeroCenter(train, d), Preprocessor.FitStandardize(train, d), Preprocessor.FitStandardizeGlobal(train, d) })
            {
                float[] y = (float[])test.Clone();
                Assert.Equal(7, p.Apply(y));
                for (int i = 0; i < y.Length; i++)
                {
                    int j = p.Mean.Length == 1 ? 0 : i % d;
                    float expected = p.Scale.IsEmpty ? test[i] - p.Mean[j] : (test[i] - p.Mean[j]) * p.Scale[j];
                    Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(y[i]));
                }
            }
            // The statistics themselves, in double against the definitions (1/N variance, σ floored).
            var s = Preprocessor.FitStandardize(train, d);
            for (int j = 0; j < d; j++)
            {
                double m = 0, v = 0;
                for (int n = 0; n < rows; n++) m += train[n * d + j];
                m /= rows;
                for (int n = 0; n < rows; n++) v += (train[n * d + j] - m) * (train[n * d + j] - m);
                double sigma = Math.Max(Math.Sqrt(v / rows), Preprocessor.DefaultStandardDeviationFloor);
                Assert.Equal((float)m, s.Mean[j]);
                Assert.Equal((float)(1 / sigma), s.Scale[j]);
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Standardised_training_features_have_mean_0_and_std_1_and_constant_pixels_stay_finite()
    {
        var r = new Random(5);
        const int d = 30, rows = 500;
        float[] x = Correlated(r, rows, d);
        Preprocessor p = Preprocessor.FitStandardize(x, d);
        float[] y = (float[])x.Clone();
        p.Apply(y);
        for (int j = 0; j < d; j++)
        {
            double m = 0, v = 0;
            for (int n = 0; n < rows; n++) m += y[n * d + j];
            m /= rows;
            for (int n = 0; n < rows; n++) v += (y[n * d + j] - m) * (y[n * d + j] - m);
            Assert.True(Math.Abs(m) < 1e-5, $"feature {j}: mean {m}");
            if (j < 2) Assert.Equal(0, v); // constant: centred to exactly 0, not NaN
            else Assert.True(Math.Abs(Math.Sqrt(v / rows) - 1) < 1e-5, $"feature {j}: std {Math.Sqrt(v / rows)}");
        }
        Preprocessor g = Preprocessor.FitStandardizeGlobal(x, d);
        float[] z = (float[])x.Clone();
        g.Apply(z);
        double gm = z.Average(v => (double)v), gs = Math.Sqrt(z.Average(v => (v - gm) * (v - gm)));
        Assert.True(Math.Abs(gm) < 1e-5 && Math.Abs(gs - 1) < 1e-5, $"global: mean {gm}, std {gs}");
    }

    [Fact]
    public void Pca_projects_onto_MathNet_eigenvectors_and_whitening_gives_identity_covariance()
    {
        var r = new Random(11);
        const int d = 24, rows = 2000, k = 6;
        float[] x = Correlated(r, rows, d, rank: 8, constant: 1);
        Matrix<double> cov = CovarianceOf(ToMatrix(x, d));
        var evd = cov.Evd(Symmetricity.Symmetric);
        double[] lambda = evd.EigenValues.Select(c => c.Real).ToArray();
        int[] order = Enumerable.Range(0, d).OrderByDescending(i => lambda[i]).ToArray();

        Preprocessor pca = Preprocessor.FitPca(x, d, k);
        Assert.Equal(PreprocessingKind.Pca, pca.Kind);
        Assert.Equal(k, pca.OutputFeatures);
        for (int c = 0; c < k; c++)
        {
            Assert.True(Math.Abs(pca.Eigenvalues[c] - lambda[order[c]]) <= 1e-5 * lambda[order[0]], $"λ{c}: {pca.Eigenvalues[c]} vs {lambda[order[c]]}");
            // Same direction up to sign: |⟨u, v⟩| = 1.
            double dot = 0;
            for (int j = 0; j < d; j++) dot += pca.Matrix[c * d + j] * evd.EigenVectors[j, order[c]];
            Assert.True(Math.Abs(Math.Abs(dot) - 1) < 1e-4, $"component {c}: |⟨u, v⟩| = {Math.Abs(dot)}");
        }
        // In place: k values per row packed at the front, equal to Transform's, covariance diag(λ₁..λ_k).
        float[] packed = (float[])x.Clone();
        pca.Apply(packed);
        float[] transformed = new float[rows * k];
        pca.Transform(x, transformed);
        Assert.Equal(transformed, packed.AsSpan(0, rows * k).ToArray());
        Matrix<double> pc = CovarianceOf(ToMatrix(transformed, k));
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                Assert.True(Math.Abs(pc[i, j] - (i == j ? lambda[order[i]] : 0)) < 1e-4 * lambda[order[0]], $"PCA cov[{i},{j}] = {pc[i, j]}");

        foreach (Preprocessor w in new[] { Preprocessor.FitPcaWhitening(x, d), Preprocessor.FitZcaWhitening(x, d), Preprocessor.FitPca(x, d, k, whiten: true) })
        {
            float[] y = (float[])x.Clone();
            w.Apply(y);
            int m = w.OutputFeatures;
            Matrix<double> wc = CovarianceOf(ToMatrix(y.AsSpan(0, rows * m).ToArray(), m));
            // Expected covariance: λ/(λ + ε) on the eigen-directions (≈ 1 unless λ ≲ ε, as for the constant feature's λ = 0).
            if (w.Kind == PreprocessingKind.ZcaWhiten)
            {
                var u = evd.EigenVectors;
                var g = Matrix<double>.Build.DenseOfDiagonalArray(lambda.Select(l => Math.Max(l, 0) / (Math.Max(l, 0) + Preprocessor.DefaultWhiteningEpsilon)).ToArray());
                Matrix<double> expected = u * g * u.Transpose();
                Assert.True((wc - expected).L2Norm() < 2e-3, $"ZCA covariance off by {(wc - expected).L2Norm():E2}");
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < d; j++) Assert.True(Math.Abs(w.Matrix[i * d + j] - w.Matrix[j * d + i]) <= 1e-4 * Math.Abs(w.Matrix[i * d + i]) + 1e-3, "ZCA matrix is symmetric");
            }
            else
            {
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < m; j++)
                    {
                        double l = Math.Max(lambda[order[i]], 0), e = i == j ? l / (l + Preprocessor.DefaultWhiteningEpsilon) : 0;
                        Assert.True(Math.Abs(wc[i, j] - e) < 2e-3, $"{w.KindName} cov[{i},{j}] = {wc[i, j]}, expected {e}");
                    }
            }
        }
    }

    [Fact]
    public void Zca_applies_the_double_formula_U_diag_U_transpose()
    {
        var r = new Random(3);
        const int d = 16, rows = 300;
        float[] x = Correlated(r, rows, d, rank: 16, constant: 0);
        const double eps = 1e-2;
        Preprocessor zca = Preprocessor.FitZcaWhitening(x, d, eps);
        Matrix<double> xm = ToMatrix(x, d);
        var mean = xm.ColumnSums() / rows;
        var evd = CovarianceOf(xm).Evd(Symmetricity.Symmetric);
        var w = evd.EigenVectors * Matrix<double>.Build.DenseOfDiagonalArray(evd.EigenValues.Select(c => 1 / Math.Sqrt(c.Real + eps)).ToArray()) * evd.EigenVectors.Transpose();
        float[] test = Correlated(r, 9, d, rank: 16, constant: 0);
        float[] y = (float[])test.Clone();
        zca.Apply(y);
        for (int n = 0; n < 9; n++)
        {
            var c = Vector<double>.Build.Dense(d, j => test[n * d + j] - mean[j]);
            var e = w * c;
            for (int j = 0; j < d; j++) Assert.True(Math.Abs(y[n * d + j] - e[j]) <= 1e-4 * e.L2Norm(), $"row {n} feature {j}: {y[n * d + j]} vs {e[j]}");
        }
    }

    public static TheoryData<PreprocessingKind> Kinds() => new(Enum.GetValues<PreprocessingKind>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Export_then_import_applies_bit_identically(PreprocessingKind kind)
    {
        var r = new Random((int)kind + 1);
        const int d = 21, rows = 120;
        float[] x = Correlated(r, rows, d);
        Preprocessor p = Preprocessor.Fit(kind, x, d, components: kind is PreprocessingKind.Pca or PreprocessingKind.PcaWhiten ? 5 : 0);
        var tensors = p.Export("prep.").ToDictionary(t => t.Name, t => (t.Shape, t.Data));
        Assert.All(tensors.Keys, k => Assert.StartsWith("prep.", k));
        Preprocessor q = Preprocessor.Import(p.KindName, tensors, "prep.");
        Assert.Equal(p.Kind, q.Kind);
        Assert.Equal(p.InputFeatures, q.InputFeatures);
        Assert.Equal(p.OutputFeatures, q.OutputFeatures);
        float[] test = Correlated(r, 13, d);
        float[] a = (float[])test.Clone(), b = (float[])test.Clone();
        p.Apply(a);
        q.Apply(b);
        Assert.Equal(a.Select(BitConverter.SingleToInt32Bits), b.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(kind, Preprocessor.ParseKind(p.KindName));
        // A wrong shape or a missing tensor is refused.
        var broken = new Dictionary<string, (int[] Shape, float[] Data)>(tensors) { ["prep.mean"] = (new[] { d - 1 }, new float[d - 1]) };
        if (kind is not PreprocessingKind.ZeroCenter) Assert.Throws<ArgumentException>(() => Preprocessor.Import(p.KindName, broken, "prep."));
        Assert.Throws<ArgumentException>(() => Preprocessor.Import(p.KindName, tensors, "other."));
    }

    [Fact]
    public void A_row_result_does_not_depend_on_its_neighbours_in_the_block()
    {
        var r = new Random(8);
        const int d = 37, rows = 11;
        float[] x = Correlated(r, 50, d);
        Preprocessor p = Preprocessor.FitZcaWhitening(x, d);
        float[] all = Correlated(r, rows, d);
        float[] together = (float[])all.Clone();
        p.Apply(together);
        for (int n = 0; n < rows; n++)
        {
            float[] one = all.AsSpan(n * d, d).ToArray();
            p.Apply(one);
            Assert.Equal(together.AsSpan(n * d, d).ToArray(), one);
        }
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_argument_before_writing()
    {
        const int d = 8;
        float[] x = Correlated(new Random(1), 20, d);
        foreach (Preprocessor p in new[] { Preprocessor.FitZeroCenter(x, d), Preprocessor.FitStandardize(x, d), Preprocessor.FitPca(x, d, 3), Preprocessor.FitZcaWhitening(x, d) })
        {
            float[] wrong = new float[d * 3 + 1];
            var e = Assert.Throws<ArgumentException>(() => p.Apply(wrong));
            Assert.Equal("data", e.ParamName);
            Assert.Contains("multiple of 8", e.Message);
            Assert.Equal("data", Assert.Throws<ArgumentException>(() => p.Apply(Span<float>.Empty)).ParamName);
            float[] nan = (float[])x.Clone();
            nan[^1] = float.NaN;
            float[] before = (float[])nan.Clone();
            e = Assert.Throws<ArgumentException>(() => p.Apply(nan));
            Assert.Equal("data", e.ParamName);
            Assert.Equal(before.Take(nan.Length - 1), nan.Take(nan.Length - 1)); // nothing written
            Assert.Equal("output", Assert.Throws<ArgumentException>(() => p.Transform(x, new float[x.Length / d * p.OutputFeatures + 1])).ParamName);
            var ds = new Dataset(new float[10 * (d + 1)], new int[10], d + 1, 2);
            Assert.Equal("data", Assert.Throws<ArgumentException>(() => p.ApplyTo(ds)).ParamName);
        }
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => Preprocessor.FitZeroCenter(new float[d * 2 + 3], d)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => Preprocessor.FitPca(new[] { 1f, float.PositiveInfinity }, 2, 1)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Preprocessor.FitPca(x, d, d + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Preprocessor.FitStandardize(x, d, 0));
        Assert.Throws<ArgumentException>(() => Preprocessor.ParseKind("pca-ish"));
    }

    [Fact]
    public void Dataset_helpers_apply_in_place_or_make_a_new_dataset()
    {
        Dataset digits = Digits.Load();
        var (train, validation) = digits.Split(0.2, seed: 1);
        Preprocessor s = Preprocessor.Fit(PreprocessingKind.Standardize, train);
        float[] expected = (float[])validation.Features.Clone();
        s.Apply(expected);
        s.ApplyTo(validation);
        Assert.Equal(expected, validation.Features);
        Preprocessor pca = Preprocessor.Fit(PreprocessingKind.PcaWhiten, train, components: 20);
        Dataset reduced = pca.Transform(train);
        Assert.Equal(20, reduced.FeatureCount);
        Assert.Equal(train.Labels, reduced.Labels);
        Assert.Throws<ArgumentException>(() => pca.ApplyTo(train));
    }

    [Fact]
    public void Apply_allocates_nothing()
    {
        const int d = 64;
        float[] x = Correlated(new Random(2), 200, d);
        var ps = new[] { Preprocessor.FitZeroCenter(x, d), Preprocessor.FitStandardize(x, d), Preprocessor.FitStandardizeGlobal(x, d), Preprocessor.FitPca(x, d, 10), Preprocessor.FitZcaWhitening(x, d) };
        float[] buffer = new float[x.Length], output = new float[x.Length];
        foreach (Preprocessor p in ps) { x.CopyTo(buffer, 0); p.Apply(buffer); p.Transform(x, output.AsSpan(0, 200 * p.OutputFeatures)); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
            foreach (Preprocessor p in ps)
            {
                x.CopyTo(buffer, 0);
                p.Apply(buffer);
                p.Transform(x, output.AsSpan(0, 200 * p.OutputFeatures));
            }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>A ZCA fit at MNIST's shape (784 features) completes with ordered eigenvalues and finite whitened values.
    /// Its speed is measured by benchmarks/KernelGen.Benchmarks/PreprocessingBenchmarks.cs, not here.</summary>
    [Fact]
    public void Zca_fit_at_784_features_works()
    {
        const int d = 784, rows = 2_000;
        float[] x = Correlated(new Random(4), rows, d, rank: 30, constant: 40);
        double[] mean = new double[d];
        for (int n = 0; n < rows; n++) for (int j = 0; j < d; j++) mean[j] += x[n * d + j] / rows;
        var (values, _) = SymmetricEigen.Decompose(Preprocessor.Covariance(x, rows, d, mean), d);
        Preprocessor zca = Preprocessor.FitZcaWhitening(x, d);
        zca.Apply(x);
        Assert.True(values[0] > values[^1]);
        Assert.All(x, v => Assert.True(float.IsFinite(v)));
    }
}
