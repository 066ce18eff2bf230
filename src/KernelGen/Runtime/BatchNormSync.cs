using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KernelGen.Training;

namespace KernelGen.Runtime;

/// <summary>
/// What the generated synchronised batch-norm kernels use: a scratch block of sums and the reducer that sums it over the
/// participants. The kernels write a layer's per-feature sums (and, last, this instance's row count) into
/// <see cref="Sums"/>, call <see cref="SumWithRows"/> or <see cref="Sum"/>, and read the group's sums back.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class BatchNormSync
{
    private readonly float[] _sums;

    /// <summary>The reducer every sum goes through.</summary>
    public IBatchStatisticsReducer Reducer { get; }

    /// <summary>The rows of all participants in the last training-mode forward (what the running variance's N/(N − 1) uses).</summary>
    public int TotalRows { get; private set; }

    /// <summary>Creates the block of <paramref name="length"/> floats (the network's largest need).</summary>
    public BatchNormSync(IBatchStatisticsReducer reducer, int length)
    {
        ArgumentNullException.ThrowIfNull(reducer);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        Reducer = reducer;
        _sums = new float[length];
    }

    /// <summary>The first float of the block.</summary>
    public ref float Sums => ref MemoryMarshal.GetArrayDataReference(_sums);

    /// <summary>Sums the first <paramref name="count"/> floats over the participants.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Sum(int count) => Reducer.SumInPlace(_sums.AsSpan(0, count));

    /// <summary>
    /// Sums the first <paramref name="count"/> floats, the last of which is this instance's row count
    /// (<paramref name="rows"/>), and returns the group's row count.
    /// </summary>
    /// <exception cref="InvalidOperationException">The reducer returned a row count that is not a whole number of at least
    /// this instance's rows (a reducer that does not sum, or participants that disagree on the layer).</exception>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public float SumWithRows(int count, int rows)
    {
        _sums[count - 1] = rows;
        Reducer.SumInPlace(_sums.AsSpan(0, count));
        float total = _sums[count - 1];
        if (!(total >= rows && total <= 16_777_216f && total == MathF.Floor(total)))
            throw new InvalidOperationException($"The batch-statistics reducer returned {total} rows for a layer where this instance has {rows}: expected a whole number of at least {rows}. Every participant must sum the same spans in the same order.");
        TotalRows = (int)total;
        return total;
    }
}
