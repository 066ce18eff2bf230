using System;
using KernelGen.Data;

namespace KernelGen.Training;

/// <summary>
/// Makes a <see cref="Trainer{TNet}"/> one of several processes that train one network together (data parallelism;
/// <c>KernelGen.Distributed</c> implements it over MPI). The trainer asks the group for each epoch's order and this
/// process's part of it, steps through the group (which combines the gradients of every process), lets it synchronise
/// at the end of each epoch, and evaluates through it, so that every process sees the same metrics and takes the
/// same early-stopping, divergence and best-epoch decisions. Every method is collective: every process calls it in
/// the same order.
/// </summary>
public interface ITrainingGroup
{
    /// <summary>The network this process trains (the trainer's own network).</summary>
    IClassifier Network { get; }

    /// <summary>
    /// Fills <paramref name="order"/> with the epoch's permutation of the training rows — the same in every process,
    /// drawn from <paramref name="seed"/> and <paramref name="epoch"/> (0-based) — and returns this process's part:
    /// the parts are disjoint and equally long, so every process takes the same number of steps. Allocates nothing.
    /// </summary>
    Range Partition(Span<int> order, int epoch, int seed);

    /// <summary>One step on this process's rows together with every other process's; returns the mean loss over all
    /// their rows. Makes no update when that loss is not finite (as <c>TrainStep</c>).</summary>
    float Step(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels);

    /// <summary>Called after each epoch's steps, before its evaluation (e.g. to average batch-norm running statistics).</summary>
    void EndEpoch();

    /// <summary>The evaluation of all of <paramref name="rows"/> (each process may evaluate a part), the same in every process.</summary>
    Evaluation Evaluate(Dataset rows);
}
