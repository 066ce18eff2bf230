using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using KernelGen.Data;
using KernelGen.Runtime;

namespace KernelGen.Training;

/// <summary>Metrics of one epoch.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's steps (weighted by rows; training mode, so with dropout).</param>
/// <param name="TrainAccuracy">Accuracy on the training rows with the weights at the end of the epoch (inference mode); NaN when not evaluated.</param>
/// <param name="ValidationLoss">Mean validation loss at the end of the epoch (inference mode); NaN without validation rows.</param>
/// <param name="ValidationAccuracy">Validation accuracy at the end of the epoch; NaN without validation rows.</param>
/// <param name="Seconds">Wall time of the epoch's training steps (gathering, augmentation and steps; not the evaluation).</param>
public readonly record struct EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy, double Seconds);

/// <summary>What early stopping watches.</summary>
public enum StopMetric
{
    /// <summary>Validation loss, lower is better.</summary>
    ValidationLoss,
    /// <summary>Validation accuracy, higher is better.</summary>
    ValidationAccuracy,
}

/// <summary>Why <see cref="Trainer{TNet}.Fit"/> stopped.</summary>
public enum StopReason
{
    /// <summary>Every requested epoch ran.</summary>
    Completed,
    /// <summary>The watched metric did not improve by <see cref="FitOptions.MinDelta"/> for <see cref="FitOptions.Patience"/> epochs.</summary>
    EarlyStopped,
    /// <summary>A training loss (or, with a finite loss, a gradient) was NaN or infinite; the step that produced it made no update.</summary>
    Diverged,
    /// <summary>The cancellation token was signalled (checked between steps).</summary>
    Cancelled,
    /// <summary>The watched validation metric came out NaN or infinite (validation rows the network cannot evaluate,
    /// e.g. values that overflow it): no epoch can be judged by it, so training stopped there.</summary>
    ValidationNotFinite,
}

/// <summary>Options of <see cref="Trainer{TNet}.Fit"/>.</summary>
public sealed record FitOptions
{
    /// <summary>Most epochs to run (default 10).</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Epochs without improvement before stopping; 0 (default) turns early stopping off.</summary>
    public int Patience { get; init; }
    /// <summary>Smallest change of the watched metric that counts as an improvement (default 0).</summary>
    public double MinDelta { get; init; }
    /// <summary>The metric early stopping and "best epoch" use (default validation loss).</summary>
    public StopMetric Metric { get; init; } = StopMetric.ValidationLoss;
    /// <summary>At the end, put back the parameters and running statistics of the best epoch (default true).</summary>
    public bool RestoreBest { get; init; } = true;
    /// <summary>Evaluate the whole training set after each epoch for <see cref="EpochMetrics.TrainAccuracy"/> (default true).</summary>
    public bool EvaluateTrainingSet { get; init; } = true;
}

/// <summary>The outcome of <see cref="Trainer{TNet}.Fit"/>.</summary>
/// <param name="Epochs">Metrics of every epoch that completed, in order.</param>
/// <param name="BestEpoch">1-based position in <paramref name="Epochs"/> of the epoch with the best watched metric (0 when none completed).</param>
/// <param name="Reason">Why training stopped.</param>
/// <param name="Message">The reason in words (for diverged runs: which epoch and step, and what was restored).</param>
public sealed record FitResult(IReadOnlyList<EpochMetrics> Epochs, int BestEpoch, StopReason Reason, string Message)
{
    /// <summary>The metrics of <see cref="BestEpoch"/>.</summary>
    public EpochMetrics Best => BestEpoch > 0 ? Epochs[BestEpoch - 1] : default;
}

/// <summary>
/// Transforms a gathered mini-batch in place before the step (augmentation). Called with the batch's inputs
/// (<c>rows × InputSize</c>), the 0-based epoch and the dataset rows the batch holds. Must not allocate.
/// </summary>
public interface IBatchTransform
{
    /// <summary>Transforms <paramref name="inputs"/> in place.</summary>
    void Apply(Span<float> inputs, int rows, int epoch, ReadOnlySpan<int> rowIds);
}

/// <summary>
/// Mini-batch training of a classifier: each epoch reshuffles an index permutation in place, gathers
/// batches into buffers allocated once, optionally augments them, and steps the network. Nothing is
/// allocated per step or epoch; <see cref="Fit"/> adds validation, early stopping with the best weights
/// restored, divergence handling, progress and cancellation.
/// </summary>
public sealed class Trainer<TNet> where TNet : IClassifier
{
    private readonly TNet _net;
    private readonly Dataset _train;
    private readonly int[] _order;
    private readonly float[] _inputs;
    private readonly int[] _labels;
    private readonly int _batchSize;
    private readonly bool _batchNorm;
    private readonly float[] _bestParameters;
    private readonly float[] _bestStatistics;
    private readonly float[] _goodParameters;
    private readonly float[] _goodStatistics;
    private readonly float[] _goodState;
    private long _goodStep;
    private Rng _rng;
    private readonly int _seed;
    private ITrainingGroup? _group;
    private int _epoch;
    private long _steps;

    /// <summary>Prepares to train <paramref name="net"/> on <paramref name="train"/> in batches of <paramref name="batchSize"/> (default: the network's BatchSize).</summary>
    /// <param name="net">The network; the trainer steps it, the caller keeps ownership.</param>
    /// <param name="train">Training rows (already preprocessed).</param>
    /// <param name="seed">Seed of the shuffling (independent of the network's own seed).</param>
    /// <param name="batchSize">Rows per step, 1 to the network's BatchSize.</param>
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
        foreach (LayerInfo layer in net.Info.Layers) _batchNorm |= layer.Kind == LayerKind.BatchNorm;
        if (_batchNorm && _batchSize < 2)
            throw new ArgumentOutOfRangeException(nameof(batchSize), _batchSize, $"{net.Info.Name} has batch norm, which needs at least 2 rows per training step.");
        _net = net;
        _train = train;
        _order = new int[train.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _inputs = new float[_batchSize * train.FeatureCount];
        _labels = new int[_batchSize];
        _bestParameters = new float[net.Info.ParameterCount];
        _bestStatistics = new float[net.Info.StatisticsCount];
        _goodParameters = new float[net.Info.ParameterCount];
        _goodStatistics = new float[net.Info.StatisticsCount];
        _goodState = new float[net.Info.OptimizerSlots.Count * net.Info.ParameterCount];
        _rng = new Rng(seed, stream: 0x7EA1);
        _seed = seed;
    }

    /// <summary>Epochs run so far.</summary>
    public int Epoch => _epoch;

    /// <summary>Training steps taken by this trainer so far.</summary>
    public long Steps => _steps;

    /// <summary>Applied to every gathered batch before its step (augmentation); null for none.</summary>
    public IBatchTransform? Transform { get; set; }

    /// <summary>
    /// The processes this trainer trains with (data parallelism, e.g. <c>KernelGen.Distributed</c>'s
    /// <c>DistributedTrainer</c>); null (default) trains alone. With a group each epoch trains on this process's part of
    /// the group's order, in batches of <see cref="BatchSize"/> rows per process (a step of the group covers
    /// BatchSize × processes rows), and every metric is the group's, so <see cref="Fit"/> decides the same in every
    /// process. Set it before training, in every process. Cancellation is checked in each process on its own: signal
    /// it in every process alike (a process that stops alone leaves the others waiting in a collective).
    /// </summary>
    public ITrainingGroup? Group
    {
        get => _group;
        set
        {
            if (value is not null && !ReferenceEquals(value.Network, _net))
                throw new ArgumentException("The group trains another network than this trainer.", nameof(value));
            _group = value;
        }
    }

    /// <summary>The batch size in use.</summary>
    public int BatchSize => _batchSize;

    /// <summary>
    /// One pass over the training rows in a fresh random order; returns the mean training loss. Allocates nothing.
    /// A final batch of a single row is left out for networks with batch norm (it has no variance); the order
    /// changes each epoch, so every row still takes part.
    /// </summary>
    /// <exception cref="TrainingDivergedException">A loss was not finite; that step made no update.</exception>
    public double TrainEpoch() => TrainEpoch(CancellationToken.None, out _);

    private double TrainEpoch(CancellationToken cancellation, out bool cancelled)
    {
        cancelled = false;
        Range part = Range.All;
        if (_group is null) _rng.Shuffle(_order);
        else part = _group.Partition(_order, _epoch, _seed);
        (int first, int count) = part.GetOffsetAndLength(_order.Length);
        ReadOnlySpan<int> order = _order.AsSpan(first, count);
        int features = _train.FeatureCount;
        float[] source = _train.Features;
        int[] labels = _train.Labels;
        double lossSum = 0;
        int seen = 0;
        for (int start = 0; start < order.Length; start += _batchSize)
        {
            if (cancellation.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }
            int rows = Math.Min(_batchSize, order.Length - start);
            if (rows == 1 && _batchNorm) break;
            ReadOnlySpan<int> ids = order.Slice(start, rows);
            for (int i = 0; i < rows; i++)
            {
                int row = ids[i];
                source.AsSpan(row * features, features).CopyTo(_inputs.AsSpan(i * features));
                _labels[i] = labels[row];
            }
            Span<float> batch = _inputs.AsSpan(0, rows * features);
            Transform?.Apply(batch, rows, _epoch, ids);
            float loss = _group is null ? _net.TrainStep(batch, _labels.AsSpan(0, rows)) : _group.Step(batch, _labels.AsSpan(0, rows));
            if (!float.IsFinite(loss))
                throw new TrainingDivergedException(_epoch + 1, start / _batchSize + 1, loss);
            _steps++;
            lossSum += (double)loss * rows;
            seen += rows;
        }
        if (!cancelled)
        {
            _epoch++;
            _group?.EndEpoch();
        }
        return seen == 0 ? double.NaN : lossSum / seen;
    }

    /// <summary>Trains one epoch and evaluates on the training and validation rows.</summary>
    public EpochMetrics RunEpoch(Dataset validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        long started = Stopwatch.GetTimestamp();
        double trainLoss = TrainEpoch();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Measure(trainLoss, seconds, validation, evaluateTraining: true);
    }

    private EpochMetrics Measure(double trainLoss, double seconds, Dataset? validation, bool evaluateTraining)
    {
        double trainAccuracy = evaluateTraining ? Evaluate(_train).Accuracy : double.NaN;
        double validLoss = double.NaN, validAccuracy = double.NaN;
        if (validation is not null)
        {
            Evaluation valid = Evaluate(validation);
            validLoss = valid.MeanLoss;
            validAccuracy = valid.Accuracy;
        }
        return new EpochMetrics(_epoch, trainLoss, trainAccuracy, validLoss, validAccuracy, seconds);
    }

    private Evaluation Evaluate(Dataset rows) => _group is null ? _net.Evaluate(rows.Features, rows.Labels) : _group.Evaluate(rows);

    /// <summary>
    /// Trains for up to <see cref="FitOptions.Epochs"/> epochs, evaluating after each; stops early when the watched
    /// validation metric has not improved by <see cref="FitOptions.MinDelta"/> for <see cref="FitOptions.Patience"/>
    /// epochs; stops with <see cref="StopReason.Diverged"/> on a NaN or infinite loss (that step made no update)
    /// and with <see cref="StopReason.Cancelled"/> when <paramref name="cancellation"/> is signalled (checked between
    /// steps; a partial epoch is not reported). With <see cref="FitOptions.RestoreBest"/> the parameters and
    /// running statistics of the best epoch are put back at the end, whatever the reason. Allocates only the
    /// result list before the first epoch; nothing per step or per epoch.
    /// </summary>
    /// <param name="validation">Rows to validate on; null to go without (then early stopping is not allowed and "best" is the last epoch).</param>
    /// <param name="options">Epochs, patience, metric, restoring; null for the defaults.</param>
    /// <param name="progress">Receives each epoch's metrics as it ends (called on this thread).</param>
    /// <param name="cancellation">Stops training between steps.</param>
    public FitResult Fit(Dataset? validation, FitOptions? options = null, Action<EpochMetrics>? progress = null, CancellationToken cancellation = default)
    {
        options ??= new FitOptions();
        if (options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Epochs, "FitOptions.Epochs must be at least 1.");
        if (options.Patience < 0) throw new ArgumentOutOfRangeException(nameof(options), options.Patience, "FitOptions.Patience must be at least 0 (0: no early stopping).");
        if (!(options.MinDelta >= 0) || double.IsInfinity(options.MinDelta)) throw new ArgumentOutOfRangeException(nameof(options), options.MinDelta, "FitOptions.MinDelta must be finite and at least 0.");
        if (validation is not null)
        {
            if (validation.FeatureCount != _train.FeatureCount)
                throw new ArgumentException($"validation has {validation.FeatureCount} features per row; the training rows have {_train.FeatureCount}.", nameof(validation));
            if (validation.ClassCount > _net.Info.Outputs)
                throw new ArgumentException($"validation has {validation.ClassCount} classes; {_net.Info.Name} has {_net.Info.Outputs} outputs.", nameof(validation));
        }
        else if (options.Patience > 0)
        {
            throw new ArgumentException("Early stopping (Patience > 0) watches a validation metric: pass validation rows.", nameof(validation));
        }

        var epochs = new List<EpochMetrics>(options.Epochs);
        int best = 0, sinceBest = 0;
        double bestScore = double.NaN;
        StopReason reason = StopReason.Completed;
        string message = options.Epochs == 1 ? "1 epoch completed." : $"{options.Epochs} epochs completed.";
        for (int e = 0; e < options.Epochs; e++)
        {
            SaveGood();
            long started = Stopwatch.GetTimestamp();
            double trainLoss;
            bool cancelled;
            try
            {
                trainLoss = TrainEpoch(cancellation, out cancelled);
            }
            catch (TrainingDivergedException diverged)
            {
                reason = StopReason.Diverged;
                RestoreGood();
                message = diverged.Message + (best > 0 && options.RestoreBest
                    ? $" The weights of epoch {best}, the best so far, were restored."
                    : $" The weights, optimizer state and step from the start of epoch {_epoch + 1} were restored.");
                break;
            }
            if (cancelled)
            {
                reason = StopReason.Cancelled;
                message = $"Cancelled during epoch {_epoch + 1}" + (best > 0 && options.RestoreBest ? $"; the weights of epoch {best}, the best so far, were restored." : "; the weights are those of the last step taken.");
                break;
            }
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            EpochMetrics m = Measure(trainLoss, seconds, validation, options.EvaluateTrainingSet);
            epochs.Add(m);
            double score = validation is null ? -e : options.Metric == StopMetric.ValidationLoss ? m.ValidationLoss : -m.ValidationAccuracy;
            if (validation is not null && !(double.IsFinite(m.ValidationLoss) && double.IsFinite(m.ValidationAccuracy)))
            {
                // Not "worse than everything": a metric that cannot be computed judges nothing. Stop and say so.
                progress?.Invoke(m);
                reason = StopReason.ValidationNotFinite;
                message = $"Stopped after epoch {epochs.Count}: the validation loss is {m.ValidationLoss} " +
                          "(validation rows the network cannot evaluate, e.g. values that overflow it; check them)" +
                          (best > 0 && options.RestoreBest ? $"; the weights of epoch {best}, the best with a finite metric, were restored." : "; the weights are those after this epoch's training (training loss " + m.TrainLoss.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) + ").");
                break;
            }
            if (best == 0 || score < bestScore - options.MinDelta)
            {
                best = epochs.Count;
                bestScore = score;
                sinceBest = 0;
                if (options.RestoreBest) Snapshot();
            }
            else
            {
                sinceBest++;
            }
            progress?.Invoke(m);
            if (options.Patience > 0 && sinceBest >= options.Patience)
            {
                reason = StopReason.EarlyStopped;
                message = $"Stopped after epoch {epochs.Count}: {options.Metric} has not improved by more than {options.MinDelta} for {options.Patience} {(options.Patience == 1 ? "epoch" : "epochs")}; best epoch {best}{(options.RestoreBest ? ", whose weights were restored" : string.Empty)}.";
                break;
            }
        }
        if (options.RestoreBest && best > 0) Restore();
        return new FitResult(epochs, best, reason, message);
    }

    /// <summary>The last good state: parameters, statistics, optimizer state and step at the start of an epoch.</summary>
    private void SaveGood()
    {
        _net.Parameters.CopyTo(_goodParameters);
        _net.RunningStatistics.CopyTo(_goodStatistics);
        int n = _goodParameters.Length;
        for (int s = 0; s < _net.Info.OptimizerSlots.Count; s++) _net.OptimizerState(s).CopyTo(_goodState.AsSpan(s * n, n));
        _goodStep = _net.Step;
    }

    private void RestoreGood()
    {
        _goodParameters.CopyTo(_net.Parameters);
        _goodStatistics.CopyTo(_net.RunningStatistics);
        int n = _goodParameters.Length;
        for (int s = 0; s < _net.Info.OptimizerSlots.Count; s++) _goodState.AsSpan(s * n, n).CopyTo(_net.OptimizerState(s));
        _net.Step = _goodStep;
    }

    private void Snapshot()
    {
        _net.Parameters.CopyTo(_bestParameters);
        _net.RunningStatistics.CopyTo(_bestStatistics);
    }

    private void Restore()
    {
        _bestParameters.CopyTo(_net.Parameters);
        _bestStatistics.CopyTo(_net.RunningStatistics);
    }
}

/// <summary>The loss became NaN or infinite, or a gradient did (TrainStep then returns NaN); the step that produced it made no update.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(int epoch, int step, float loss)
        : base($"Training diverged in epoch {epoch}, step {step}: the loss is {loss}{(float.IsNaN(loss) ? " (or a gradient was not finite)" : string.Empty)}. That step was not applied; lower the learning rate or check the inputs.")
    {
        Epoch = epoch;
        StepInEpoch = step;
        Loss = loss;
    }

    /// <summary>Epoch (1-based) in which the loss stopped being finite.</summary>
    public int Epoch { get; }
    /// <summary>Step within that epoch (1-based).</summary>
    public int StepInEpoch { get; }
    /// <summary>The non-finite loss.</summary>
    public float Loss { get; }
}
