using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading;
using KernelGen.Data;
using KernelGen.Runtime;

namespace KernelGen.Training;

/// <summary>
/// Ranges of a random search, sampled log-uniformly (the seeds: "search on a log scale" for the learning rate and
/// the regularisation strength). A weight-decay range of [0, 0] leaves the network's declared λ alone.
/// </summary>
/// <param name="LearningRateMin">Smallest base learning rate, &gt; 0.</param>
/// <param name="LearningRateMax">Largest base learning rate, ≥ <paramref name="LearningRateMin"/>.</param>
/// <param name="WeightDecayMin">Smallest weight decay λ, &gt; 0 (or both bounds 0: not searched).</param>
/// <param name="WeightDecayMax">Largest weight decay λ.</param>
public sealed record SearchSpace(double LearningRateMin, double LearningRateMax, double WeightDecayMin = 0, double WeightDecayMax = 0)
{
    /// <summary>Whether λ is searched.</summary>
    public bool SearchesWeightDecay => WeightDecayMax > 0;

    internal void Validate()
    {
        if (!(LearningRateMin > 0 && LearningRateMax >= LearningRateMin && double.IsFinite(LearningRateMax)))
            throw new ArgumentException($"Learning-rate range [{LearningRateMin}, {LearningRateMax}] must satisfy 0 < min ≤ max < ∞.", "space");
        // Trials run in float: a bound that rounds to 0 or ∞ there would fail a trial after others ran (and lose them).
        if (!((float)LearningRateMin > 0 && float.IsFinite((float)LearningRateMax)))
            throw new ArgumentException($"Learning-rate range [{LearningRateMin}, {LearningRateMax}] must lie within float's positive range [{float.Epsilon}, {float.MaxValue}]: a network's learning rate is a float.", "space");
        if (WeightDecayMin == 0 && WeightDecayMax == 0) return;
        if (!(WeightDecayMin > 0 && WeightDecayMax >= WeightDecayMin && double.IsFinite(WeightDecayMax)))
            throw new ArgumentException($"Weight-decay range [{WeightDecayMin}, {WeightDecayMax}] must satisfy 0 < min ≤ max < ∞ (or be [0, 0]: not searched; a log scale has no 0).", "space");
        if (!((float)WeightDecayMin > 0 && float.IsFinite((float)WeightDecayMax)))
            throw new ArgumentException($"Weight-decay range [{WeightDecayMin}, {WeightDecayMax}] must lie within float's positive range [{float.Epsilon}, {float.MaxValue}]: a network's weight decay is a float.", "space");
    }
}

/// <summary>Options of <see cref="HyperSearch.Run{TNet}"/>.</summary>
public sealed record SearchOptions
{
    /// <summary>Trials of the coarse stage over the whole space (default 8).</summary>
    public int CoarseTrials { get; init; } = 8;
    /// <summary>Trials of the fine stage around the best coarse trial (default 8; 0 for coarse only).</summary>
    public int FineTrials { get; init; } = 8;
    /// <summary>Fraction of each log-range the fine stage spans, centred on the best coarse trial and kept inside the space (default 0.25).</summary>
    public double FineWidth { get; init; } = 0.25;
    /// <summary>Training of each trial: epochs, patience, metric (default: 3 epochs, no training-set evaluation).</summary>
    public FitOptions Fit { get; init; } = new() { Epochs = 3, EvaluateTrainingSet = false };
    /// <summary>Seed of the sampling; trial k's network gets seed <c>Seed + k</c> and its shuffling the same.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>One trial of a search.</summary>
/// <param name="Number">1-based trial number in the order run.</param>
/// <param name="Stage">"coarse" or "fine".</param>
/// <param name="LearningRate">Base learning rate used.</param>
/// <param name="WeightDecay">λ used.</param>
/// <param name="ValidationLoss">Validation loss of the trial's best epoch.</param>
/// <param name="ValidationAccuracy">Validation accuracy of the trial's best epoch.</param>
/// <param name="BestEpoch">That epoch (1-based).</param>
/// <param name="Reason">Why the trial's training stopped.</param>
/// <param name="Seconds">Wall time of the trial.</param>
public sealed record Trial(int Number, string Stage, float LearningRate, float WeightDecay, double ValidationLoss, double ValidationAccuracy, int BestEpoch, StopReason Reason, double Seconds);

/// <summary>Every trial of a search, best first (validation accuracy, then loss; diverged trials last).</summary>
public sealed class SearchResult
{
    internal SearchResult(List<Trial> trials)
    {
        trials.Sort(Compare);
        Trials = trials;
    }

    /// <summary>Trials, best first.</summary>
    public IReadOnlyList<Trial> Trials { get; }
    /// <summary>The best trial.</summary>
    public Trial Best => Trials[0];

    private static int Compare(Trial a, Trial b)
    {
        bool da = a.Reason == StopReason.Diverged || double.IsNaN(a.ValidationAccuracy);
        bool db = b.Reason == StopReason.Diverged || double.IsNaN(b.ValidationAccuracy);
        if (da != db) return da ? 1 : -1;
        int c = b.ValidationAccuracy.CompareTo(a.ValidationAccuracy);
        if (c != 0) return c;
        c = a.ValidationLoss.CompareTo(b.ValidationLoss);
        return c != 0 ? c : a.Number.CompareTo(b.Number);
    }

    /// <summary>The trials as a plain-text table, best first.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine("rank  trial  stage   learning rate  weight decay  valid acc  valid loss  epoch  stop");
        for (int i = 0; i < Trials.Count; i++)
        {
            Trial t = Trials[i];
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{i + 1,4}  {t.Number,5}  {t.Stage,-6}  {t.LearningRate,13:G4}  {t.WeightDecay,12:G4}  {t.ValidationAccuracy,9:P2}  {t.ValidationLoss,10:F4}  {t.BestEpoch,5}  {t.Reason}"));
        }
        return sb.ToString();
    }
}

/// <summary>
/// Coarse-to-fine random search of the base learning rate and the weight decay (seed deck: random rather than
/// grid search, on a log scale, coarse first for a few epochs, then finer around the best). Each trial trains a
/// fresh network from the factory and is judged on the validation rows only.
/// </summary>
public static class HyperSearch
{
    /// <summary>Runs the search.</summary>
    /// <param name="create">Makes a fresh network from a seed; the search disposes it after the trial.</param>
    /// <param name="train">Training rows.</param>
    /// <param name="validation">Validation rows (never the test set).</param>
    /// <param name="space">The ranges.</param>
    /// <param name="options">Trial counts, fine width, per-trial training, seed.</param>
    /// <param name="progress">Receives each trial as it ends.</param>
    /// <param name="cancellation">Stops between trials (and inside a trial, between steps).</param>
    public static SearchResult Run<TNet>(Func<int, TNet> create, Dataset train, Dataset validation, SearchSpace space,
        SearchOptions? options = null, Action<Trial>? progress = null, CancellationToken cancellation = default)
        where TNet : IClassifier
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(space);
        space.Validate();
        options ??= new SearchOptions();
        if (options.CoarseTrials < 1) throw new ArgumentOutOfRangeException(nameof(options), options.CoarseTrials, "SearchOptions.CoarseTrials must be at least 1.");
        if (options.FineTrials < 0) throw new ArgumentOutOfRangeException(nameof(options), options.FineTrials, "SearchOptions.FineTrials must be at least 0.");
        if (!(options.FineWidth > 0 && options.FineWidth <= 1)) throw new ArgumentOutOfRangeException(nameof(options), options.FineWidth, "SearchOptions.FineWidth must be in (0, 1].");

        var rng = new Rng(options.Seed, stream: 0x5EA5C);
        var trials = new List<Trial>(options.CoarseTrials + options.FineTrials);
        (double lo, double hi) lr = (Math.Log(space.LearningRateMin), Math.Log(space.LearningRateMax));
        (double lo, double hi) wd = space.SearchesWeightDecay ? (Math.Log(space.WeightDecayMin), Math.Log(space.WeightDecayMax)) : (0, 0);
        for (int i = 0; i < options.CoarseTrials && !cancellation.IsCancellationRequested; i++)
            trials.Add(RunTrial(create, train, validation, options, trials.Count + 1, "coarse", Sample(ref rng, lr), space.SearchesWeightDecay ? Sample(ref rng, wd) : double.NaN, progress, cancellation));

        if (options.FineTrials > 0 && !cancellation.IsCancellationRequested)
        {
            var coarse = new SearchResult(new List<Trial>(trials));
            Trial best = coarse.Best;
            (double, double) fineLr = Around(lr, Math.Log(best.LearningRate), options.FineWidth);
            (double, double) fineWd = space.SearchesWeightDecay ? Around(wd, Math.Log(best.WeightDecay), options.FineWidth) : (0, 0);
            for (int i = 0; i < options.FineTrials && !cancellation.IsCancellationRequested; i++)
                trials.Add(RunTrial(create, train, validation, options, trials.Count + 1, "fine", Sample(ref rng, fineLr), space.SearchesWeightDecay ? Sample(ref rng, fineWd) : double.NaN, progress, cancellation));
        }
        return new SearchResult(trials);
    }

    private static double Sample(ref Rng rng, (double lo, double hi) range) => Math.Exp(range.lo + (range.hi - range.lo) * rng.NextDouble());

    /// <summary>A sub-range of <paramref name="width"/> × the log-range, centred on <paramref name="centre"/>, shifted to stay inside.</summary>
    internal static (double, double) Around((double lo, double hi) range, double centre, double width)
    {
        double half = (range.hi - range.lo) * width / 2;
        double lo = Math.Max(range.lo, centre - half), hi = Math.Min(range.hi, centre + half);
        if (hi - lo < 2 * half)
        {
            if (lo == range.lo) hi = Math.Min(range.hi, lo + 2 * half);
            else lo = Math.Max(range.lo, hi - 2 * half);
        }
        return (lo, hi);
    }

    private static Trial RunTrial<TNet>(Func<int, TNet> create, Dataset train, Dataset validation, SearchOptions options, int number, string stage,
        double learningRate, double weightDecay, Action<Trial>? progress, CancellationToken cancellation)
        where TNet : IClassifier
    {
        long started = Stopwatch.GetTimestamp();
        int seed = unchecked(options.Seed + number);
        TNet net = create(seed);
        if (net is null) throw new InvalidOperationException("The network factory returned null.");
        try
        {
            net.BaseLearningRate = (float)learningRate;
            if (!double.IsNaN(weightDecay)) net.WeightDecay = (float)weightDecay;
            var trainer = new Trainer<TNet>(net, train, seed);
            FitResult fit = trainer.Fit(validation, options.Fit, cancellation: cancellation);
            EpochMetrics best = fit.Best;
            var trial = new Trial(number, stage, net.BaseLearningRate, net.WeightDecay,
                fit.BestEpoch > 0 ? best.ValidationLoss : double.NaN, fit.BestEpoch > 0 ? best.ValidationAccuracy : double.NaN,
                fit.BestEpoch, fit.Reason, Stopwatch.GetElapsedTime(started).TotalSeconds);
            progress?.Invoke(trial);
            return trial;
        }
        finally
        {
            net.Dispose();
        }
    }
}
