using System;

namespace KernelGen.Training;

/// <summary>
/// Sums per-feature batch-norm sums over every process (or network instance) that trains one network together, for
/// synchronised batch norm: N processes × B rows then normalise as one process × N·B rows would.
/// <c>KernelGen.Distributed</c> implements it with MPI_Allreduce. Every participant calls it the same number of times,
/// in the same order, with spans of the same length; afterwards every participant must hold the same sums, bitwise.
/// </summary>
public interface IBatchStatisticsReducer
{
    /// <summary>Replaces each value with its sum over all participants. Must not allocate per call (it runs several times a step).</summary>
    void SumInPlace(Span<float> values);
}

/// <summary>
/// A generated network with batch norm: setting <see cref="BatchStatisticsReducer"/> makes its training-mode batch norm
/// use the statistics of every participant's rows (synchronised batch norm); null (the default) uses this instance's rows.
/// </summary>
public interface ISynchronisedBatchNorm
{
    /// <summary>The reducer of the batch statistics, or null for per-instance statistics (the default).</summary>
    IBatchStatisticsReducer? BatchStatisticsReducer { get; set; }
}
