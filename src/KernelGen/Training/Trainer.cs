using System;
using System.Diagnostics;
using KernelGen.Data;
using KernelGen.Runtime;

namespace KernelGen.Training;

/// <summary>Metrics of one epoch.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's steps (weighted by rows).</param>
/// <param name="TrainAccuracy">Accuracy on the training rows with the weights at the end of the epoch.</param>
/// <param name="ValidationLoss">Mean validation loss at the end of the epoch.</param>
/// <param name="ValidationAccuracy">Validation accuracy at the end of the epoch.</param>
/// <param name="Seconds">Wall time of the epoch's training steps.</param>
public readonly record struct EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

/// <summary>
/// Mini-batch training of a classifier: each epoch reshuffles an index permutation in place, gathers
/// batches into buffers allocated once, and steps the network. Nothing is allocated per step or epoch.
/// </summary>
public sealed class Trainer<TNet> where TNet : IClassifier
{
    private readonly TNet _net;
    private readonly Dataset _train;
    private readonly int[] _order;
    private readonly float[] _inputs;
    private readonly int[] _labels;
    private readonly int _batchSize;
    private Rng _rng;
    private int _epoch;

    /// <summary>Prepares to train <paramref name="net"/> on <paramref name="train"/> in batches of <paramref name="batchSize"/> (default: the network's BatchSize).</summary>
    public Trainer(TNet net, Dataset train, int seed, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(train);
        if (train.FeatureCount != net.Info.Inputs)
            throw new ArgumentException($"train has {train.FeatureCount} features per row; {net.Info.Name} expects {net.Info.Inputs}.", nameof(train));
        if (train.ClassCount > net.Info.Outputs)
            throw new ArgumentException($"train has {train.ClassCount} classes; {net.Info.Name} has {net.Info.Outputs} outputs.", nameof(train));
        _batchSize = batchSize ?? net.Info.BatchSize;
        if (_batchSize < 1 || _batchSize > net.Info.BatchSize)
            throw new ArgumentOutOfRangeException(nameof(batchSize), _batchSize, $"Expected 1 to {net.Info.BatchSize} (the network's BatchSize).");
        _net = net;
        _train = train;
        _order = new int[train.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _inputs = new float[_batchSize * train.FeatureCount];
        _labels = new int[_batchSize];
        _rng = new Rng(seed, stream: 0x7EA1);
    }

    /// <summary>Epochs run so far.</summary>
    public int Epoch => _epoch;

    /// <summary>One pass over the training rows in a fresh random order; returns the mean training loss. Allocates nothing.</summary>
    public double TrainEpoch()
    {
        _rng.Shuffle(_order);
        int features = _train.FeatureCount;
        double lossSum = 0;
        for (int start = 0; start < _order.Length; start += _batchSize)
        {
            int rows = Math.Min(_batchSize, _order.Length - start);
            for (int i = 0; i < rows; i++)
            {
                int row = _order[start + i];
                _train.Features.AsSpan(row * features, features).CopyTo(_inputs.AsSpan(i * features));
                _labels[i] = _train.Labels[row];
            }
            float loss = _net.TrainStep(_inputs.AsSpan(0, rows * features), _labels.AsSpan(0, rows));
            if (!float.IsFinite(loss))
                throw new TrainingDivergedException(_epoch + 1, loss);
            lossSum += (double)loss * rows;
        }
        _epoch++;
        return lossSum / _order.Length;
    }

    /// <summary>Trains one epoch and evaluates on the training and validation rows.</summary>
    public EpochMetrics RunEpoch(Dataset validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        long started = Stopwatch.GetTimestamp();
        double trainLoss = TrainEpoch();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        Evaluation train = _net.Evaluate(_train.Features, _train.Labels);
        Evaluation valid = _net.Evaluate(validation.Features, validation.Labels);
        return new EpochMetrics(_epoch, trainLoss, train.Accuracy, valid.MeanLoss, valid.Accuracy, seconds);
    }
}

/// <summary>The loss became NaN or infinite; the step that produced it made no update.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(int epoch, float loss)
        : base($"Training diverged in epoch {epoch}: the loss is {loss}. The step that produced it was not applied; lower the learning rate or check the inputs.")
    {
        Epoch = epoch;
        Loss = loss;
    }

    /// <summary>Epoch in which the loss stopped being finite.</summary>
    public int Epoch { get; }
    /// <summary>The non-finite loss.</summary>
    public float Loss { get; }
}
