using System;

namespace KernelGen;

/// <summary>What every generated network offers, whatever its loss. Not thread-safe: one caller at a time.</summary>
public interface INetwork : IDisposable
{
    /// <summary>The declared description.</summary>
    NetworkInfo Info { get; }
    /// <summary>The kernel width this instance runs.</summary>
    Isa Isa { get; }
    /// <summary>Number of optimizer steps taken (the schedule's t, Adam's bias correction); settable to resume from a checkpoint.</summary>
    long Step { get; set; }

    /// <summary>The schedule's base learning rate η₀ (initially the declared one).</summary>
    float BaseLearningRate { get; set; }

    /// <summary>Weight-decay strength λ (initially the declared one; networks declared without decay accept only 0).</summary>
    float WeightDecay { get; set; }

    /// <summary>Optimizer state slot <paramref name="slot"/> (<see cref="NetworkInfo.OptimizerSlots"/>), canonical parameter layout.</summary>
    Span<float> OptimizerState(int slot);

    /// <summary>Whether the parameters of layer <paramref name="layer"/> (0-based position in the attribute stack) are frozen.</summary>
    bool IsFrozen(int layer);

    /// <summary>Freezes or thaws one layer's parameters: frozen ones get no update, no weight decay, no optimizer-state change.</summary>
    void SetFrozen(int layer, bool frozen = true);
    /// <summary>All parameters, canonical order: per dense layer, weights <c>[out, in]</c> row-major, then bias.</summary>
    Span<float> Parameters { get; }
    /// <summary>Gradient of the last computed loss with respect to <see cref="Parameters"/>, same layout.</summary>
    Span<float> Gradients { get; }
    /// <summary>Forward pass for any number of rows (<c>inputs.Length / InputSize</c>); softmax networks write probabilities.</summary>
    void Predict(ReadOnlySpan<float> inputs, Span<float> outputs);

    /// <summary>The learning rate the next update uses (the declared schedule at <see cref="Step"/>).</summary>
    float LearningRate { get; }

    /// <summary>The seed of the initialisation and of the dropout masks.</summary>
    int Seed { get; }

    /// <summary>Training behaviour (default true): batch norm on batch statistics, dropout on. False: running statistics, no dropout.</summary>
    bool Training { get; set; }

    /// <summary>Dropout in training mode (default true); false keeps every value (gradient checking).</summary>
    bool DropoutEnabled { get; set; }

    /// <summary>Running mean then variance of every batch norm, in layer order; empty without batch norm.</summary>
    Span<float> RunningStatistics { get; }

    /// <summary>One optimizer update from the current <see cref="Gradients"/>, then Step + 1.</summary>
    void ApplyUpdate();
}

/// <summary>A network trained with integer class labels (softmax cross-entropy).</summary>
public interface IClassifier : INetwork
{
    /// <summary>Forward, loss, backward and one optimizer update; returns the mean loss over the rows.
    /// When the loss is not finite the update is skipped and the parameters are unchanged; when the loss is finite but a
    /// gradient is not (the backward overflowed), the update is skipped too and the result is NaN.</summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels);
    /// <summary>Forward, loss and backward without an update: <see cref="INetwork.Gradients"/> holds the gradient afterwards.</summary>
    float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels);
    /// <summary>Mean loss and number of correct arg-max predictions over any number of rows. Changes no parameter.</summary>
    Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels);
}

/// <summary>A network trained against float targets (mean squared error).</summary>
public interface IRegressor : INetwork
{
    /// <summary>Forward, loss, backward and one optimizer update; returns the mean loss over the rows.
    /// When the loss is not finite the update is skipped and the parameters are unchanged; when the loss is finite but a
    /// gradient is not (the backward overflowed), the update is skipped too and the result is NaN.</summary>
    float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets);
    /// <summary>Forward, loss and backward without an update.</summary>
    float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets);
    /// <summary>Mean loss over any number of rows. Changes no parameter.</summary>
    Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets);
}

/// <summary>Result of evaluating a network on a set of rows.</summary>
/// <param name="MeanLoss">Loss averaged over the rows.</param>
/// <param name="Correct">Rows whose arg-max output equals the label (classifiers; 0 for regressors).</param>
/// <param name="Count">Number of rows.</param>
public readonly record struct Evaluation(double MeanLoss, int Correct, int Count)
{
    /// <summary>Fraction of rows predicted correctly.</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}
