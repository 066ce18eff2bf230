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
