using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using KernelGen.Data;
using KernelGen.Runtime;
using KernelGen.Training;

namespace KernelGen.Distributed;

/// <summary>A rank declares a different network than rank 0; thrown on every rank, before any state changes.</summary>
public sealed class NetworkMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public NetworkMismatchException(string message) : base(message) { }
}

/// <summary>
/// Data-parallel training of one classifier per MPI rank (as PyTorch DDP): at construction rank 0's parameters,
/// running statistics, optimizer state, step, base rate and weight decay are broadcast after every rank has checked
/// that all declare the same network; each <see cref="Step"/> computes gradients on this rank's shard, sums the
/// gradient block, the loss and the row count over all ranks in one in-place allreduce, scales them to the mean over
/// all rows, and runs the same update everywhere — parameters stay bitwise identical across ranks.
/// Batch norm uses each rank's own batch statistics (DDP's default); running statistics are averaged only when
/// <see cref="AverageRunningStatistics"/> is called. With <c>synchronisedBatchNorm</c> the batch statistics are summed over
/// the ranks instead (an MPI_Allreduce per batch-norm pass: two forward, one backward), so that N ranks × B rows train as one
/// rank × N·B rows, and the running statistics are the same on every rank. Dropout masks follow each network's seed: construct rank r's
/// network with <see cref="RankSeed"/> so that masks differ per rank. No managed allocation per step.
/// As an <see cref="ITrainingGroup"/> it runs a <see cref="Trainer{TNet}"/> data-parallel (<c>trainer.Group = this</c>):
/// epochs sharded by <see cref="Shard"/>, running statistics averaged after each epoch, metrics allreduced.
/// </summary>
public sealed unsafe class DistributedTrainer<TNet> : ITrainingGroup, IDisposable where TNet : IClassifier
{
    private readonly Mpi mpi;
    private readonly int parameterCount;
    private float* buffer; // [gradients × rows | loss × rows | rows], 64-byte aligned
    private readonly int bufferLength;
    private readonly (int Layer, int Offset, int Length)[] parameterTensors; // what the update's finite check reads, less the frozen layers'

    /// <summary>The network of this rank.</summary>
    public TNet Network { get; }

    /// <summary>Whether batch norm is synchronised over the ranks: asked for, and the network has batch norm.</summary>
    public bool SynchronisedBatchNorm { get; }
    /// <summary>The communicator.</summary>
    public Mpi Mpi => mpi;

    IClassifier ITrainingGroup.Network => Network;

    /// <summary>The seed for rank <paramref name="rank"/>'s network: distinct per rank so that dropout masks differ.</summary>
    public static int RankSeed(int seed, int rank) => unchecked(seed + 1_000_003 * rank);

    /// <summary>Checks the declarations across ranks, then broadcasts rank 0's state. Collective: every rank calls it.</summary>
    /// <param name="network">This rank's network.</param>
    /// <param name="mpi">The communicator.</param>
    /// <param name="synchronisedBatchNorm">Sum the batch-norm batch statistics over the ranks (synchronised batch norm)
    /// instead of each rank using its own rows; ignored for a network without batch norm. The same on every rank.</param>
    /// <exception cref="NetworkMismatchException">A rank declares another network, or asks for synchronised batch norm when
    /// another does not; the message names the rank and the difference.</exception>
    public DistributedTrainer(TNet network, Mpi mpi, bool synchronisedBatchNorm = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(mpi);
        Network = network;
        this.mpi = mpi;
        CheckSameNetwork();
        CheckSameMode(synchronisedBatchNorm);
        SynchronisedBatchNorm = synchronisedBatchNorm && network is ISynchronisedBatchNorm;
        parameterCount = network.Parameters.Length;
        var tensors = new List<(int, int, int)>();
        foreach (TensorInfo t in network.Info.Tensors)
            if (t.Block == TensorBlock.Parameters) tensors.Add((t.Layer, t.Offset, t.Length));
        parameterTensors = tensors.ToArray();
        bufferLength = parameterCount + 2;
        buffer = (float*)NativeMemory.AlignedAlloc((nuint)bufferLength * sizeof(float), 64);
        BroadcastState();
        if (SynchronisedBatchNorm)
            ((ISynchronisedBatchNorm)network).BatchStatisticsReducer = new MpiReducer(mpi);
    }

    /// <summary>Sums a batch norm's statistics over the ranks: one in-place MPI_Allreduce (MPI_SUM); allocates nothing.</summary>
    private sealed class MpiReducer(Mpi mpi) : IBatchStatisticsReducer
    {
        public void SumInPlace(Span<float> values) => mpi.AllreduceSum(values);
    }

    private void CheckSameMode(bool synchronised)
    {
        Span<long> low = stackalloc long[] { synchronised ? 1 : 0 }, high = stackalloc long[] { synchronised ? 1 : 0 };
        mpi.AllreduceMin(low);
        mpi.AllreduceMax(high);
        if (low[0] != high[0])
            throw new NetworkMismatchException(
                $"synchronised batch norm is on for some of the {mpi.Size} ranks and off for others (rank {mpi.Rank}: {(synchronised ? "on" : "off")}); every rank must pass the same synchronisedBatchNorm.");
    }

    private void CheckSameNetwork()
    {
        string[] mine = NetworkLayout.Describe(Network);
        byte[] encoded = NetworkLayout.Encode(mine);
        Span<long> length = stackalloc long[1];
        length[0] = encoded.Length;
        mpi.Broadcast(length);
        byte[] rootBytes = new byte[length[0]];
        if (mpi.Rank == 0)
            encoded.CopyTo(rootBytes, 0);
        mpi.Broadcast<byte>(rootBytes);
        string? difference = NetworkLayout.Difference(NetworkLayout.Decode(rootBytes), mine);

        // The lowest rank that differs tells every rank what differs.
        Span<int> first = stackalloc int[1];
        first[0] = difference is null ? mpi.Size : mpi.Rank;
        mpi.AllreduceMin(first);
        if (first[0] == mpi.Size)
            return;
        byte[] message = System.Text.Encoding.UTF8.GetBytes(difference ?? string.Empty);
        length[0] = message.Length;
        mpi.Broadcast(length, first[0]);
        byte[] received = new byte[length[0]];
        if (mpi.Rank == first[0])
            message.CopyTo(received, 0);
        mpi.Broadcast<byte>(received, first[0]);
        throw new NetworkMismatchException(
            $"rank {first[0]} of {mpi.Size} declares a different network than rank 0: {System.Text.Encoding.UTF8.GetString(received)}.");
    }

    /// <summary>Copies rank 0's parameters, running statistics, optimizer state, step, base rate and weight decay to every rank.</summary>
    public void BroadcastState()
    {
        mpi.Broadcast(Network.Parameters);
        mpi.Broadcast(Network.RunningStatistics);
        for (int s = 0; s < Network.Info.OptimizerSlots.Count; s++)
            mpi.Broadcast(Network.OptimizerState(s));
        Span<long> step = stackalloc long[1];
        step[0] = Network.Step;
        mpi.Broadcast(step);
        Span<float> hyper = stackalloc float[2];
        hyper[0] = Network.BaseLearningRate;
        hyper[1] = Network.WeightDecay;
        mpi.Broadcast(hyper);
        Network.Step = step[0];
        Network.BaseLearningRate = hyper[0];
        Network.WeightDecay = hyper[1];
    }

    /// <summary>
    /// One data-parallel step: gradients of this rank's rows (any count 0 &lt; rows ≤ BatchSize, may differ per rank),
    /// summed over ranks weighted by rows, divided by the total row count, then the update. Returns the mean loss over
    /// all ranks' rows. When that loss is not finite no rank updates (as TrainStep); nor when it is finite but a reduced
    /// gradient is not (a backward that overflowed on some rank), which returns NaN, as TrainStep does. Every rank holds the
    /// same reduced gradients, so every rank decides the same. Collective: every rank calls it.
    /// </summary>
    public float Step(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        ObjectDisposedException.ThrowIf(buffer == null, this);
        float loss = Network.ComputeGradients(inputs, labels);
        float rows = labels.Length;
        Span<float> g = Network.Gradients;
        var staged = new Span<float>(buffer, bufferLength);
        Scale(g, staged, rows);
        staged[parameterCount] = loss * rows;
        staged[parameterCount + 1] = rows;
        mpi.AllreduceSum(staged);
        float total = staged[parameterCount + 1];
        float globalLoss = staged[parameterCount] / total;
        Scale(staged[..parameterCount], g, 1f / total);
        if (!float.IsFinite(globalLoss)) return globalLoss;
        if (!UpdatedGradientsFinite(g)) return float.NaN; // the update would write ±∞ or NaN (ApplyUpdate would throw)
        Network.ApplyUpdate();
        return globalLoss;
    }

    /// <summary>Whether the gradients the update uses are finite: a frozen layer's are dropped by the update and do not count
    /// (as in TrainStep and ApplyUpdate). Every rank holds the same reduced gradients: with the same layers frozen, all decide alike.</summary>
    private bool UpdatedGradientsFinite(ReadOnlySpan<float> g)
    {
        foreach ((int layer, int offset, int length) in parameterTensors) // precomputed: the step reads no description
            if (!Network.IsFrozen(layer) && !Guard.AllFinite(g.Slice(offset, length))) return false;
        return true;
    }

    /// <summary>
    /// This rank's share of an epoch: fills <paramref name="order"/> with a permutation of 0 … order.Length − 1 drawn from
    /// <paramref name="seed"/> and <paramref name="epoch"/> (the same on every rank), and returns this rank's slice of it.
    /// Slices are disjoint and equally long (the last order.Length mod Size rows of the permutation sit the epoch out),
    /// so every rank takes the same number of steps.
    /// </summary>
    public static Range Shard(Span<int> order, int epoch, int seed, int rank, int size)
    {
        if (size <= 0)
            throw new ArgumentOutOfRangeException(nameof(size), size, "size must be at least 1.");
        if ((uint)rank >= (uint)size)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"rank must be in [0, {size}).");
        if (order.Length < size)
            throw new ArgumentException($"order has {order.Length} rows, fewer than the {size} ranks.", nameof(order));
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        var rng = new Rng(seed, stream: 0x5A4D_0000L + epoch); // the same sequence in every process and on every platform
        rng.Shuffle(order);
        int per = order.Length / size;
        return new Range(rank * per, (rank + 1) * per);
    }

    /// <summary>Evaluates this rank's rows and combines every rank's (summed loss, correct, count): the evaluation of all
    /// ranks' rows together, the same on every rank. Collective.</summary>
    public Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        Evaluation local = labels.IsEmpty ? default : Network.Evaluate(inputs, labels);
        Span<double> sums = stackalloc double[] { local.MeanLoss * local.Count, local.Correct, local.Count };
        mpi.AllreduceSum(sums);
        return new Evaluation(sums[2] == 0 ? 0 : sums[0] / sums[2], (int)sums[1], (int)sums[2]);
    }

    /// <summary>Evaluates this rank's contiguous slice of <paramref name="rows"/> and combines every rank's: the evaluation of
    /// all the rows, the same on every rank. Collective.</summary>
    public Evaluation Evaluate(Dataset rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int from = (int)((long)rows.Count * mpi.Rank / mpi.Size), to = (int)((long)rows.Count * (mpi.Rank + 1) / mpi.Size);
        int f = rows.FeatureCount;
        return Evaluate(rows.Features.AsSpan(from * f, (to - from) * f), rows.Labels.AsSpan(from, to - from));
    }

    Range ITrainingGroup.Partition(Span<int> order, int epoch, int seed) => Shard(order, epoch, seed, mpi.Rank, mpi.Size);

    /// <summary>After each epoch of a <see cref="Trainer{TNet}"/>: <see cref="AverageRunningStatistics"/>, unless batch norm is
    /// synchronised (then every rank's running statistics follow the same global batches and are already equal).</summary>
    void ITrainingGroup.EndEpoch()
    {
        if (!SynchronisedBatchNorm)
            AverageRunningStatistics();
    }

    /// <summary>Sets every rank's running statistics to their mean over ranks (for evaluation after per-rank batch norm).</summary>
    public void AverageRunningStatistics()
    {
        Span<float> stats = Network.RunningStatistics;
        if (stats.IsEmpty)
            return;
        mpi.AllreduceSum(stats);
        Scale(stats, stats, 1f / mpi.Size);
    }

    private static void Scale(ReadOnlySpan<float> source, Span<float> destination, float factor)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var f = new Vector<float>(factor);
            ReadOnlySpan<Vector<float>> s = MemoryMarshal.Cast<float, Vector<float>>(source);
            Span<Vector<float>> d = MemoryMarshal.Cast<float, Vector<float>>(destination);
            for (int v = 0; v < s.Length; v++)
                d[v] = s[v] * f;
            i = s.Length * Vector<float>.Count;
        }
        for (; i < source.Length; i++)
            destination[i] = source[i] * factor;
    }

    /// <summary>Frees the staging buffer and takes the MPI reducer off the network (the network and MPI stay the caller's).</summary>
    public void Dispose()
    {
        if (buffer != null)
        {
            if (SynchronisedBatchNorm)
            {
                try
                {
                    ((ISynchronisedBatchNorm)Network).BatchStatisticsReducer = null;
                }
                catch (ObjectDisposedException)
                {
                    // the network was disposed first: nothing will call the reducer
                }
            }
            NativeMemory.AlignedFree(buffer);
            buffer = null;
        }
    }
}
