using System;
using System.Collections.Generic;
using KernelGen.Runtime;

namespace KernelGen.Data;

/// <summary>
/// A data preprocessor fitted on training rows only and applied to any rows with the same feature count, in place.
/// Fitting computes every statistic in double (may allocate); applying is float, allocation-free, and validates its
/// argument before it writes anything. Instances hold one preallocated scratch block for the projections, so
/// <see cref="Apply(Span{float})"/> is <b>not thread-safe</b>: one caller at a time per instance.
/// Save with <see cref="Export"/> (tensors) and <see cref="KindName"/> (metadata); <see cref="Import"/> restores an instance
/// that applies bit-identically.
/// </summary>
public sealed partial class Preprocessor
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
