using System;
using KernelGen.Runtime;

namespace KernelGen.Data;

/// <summary>Rows of float features with an integer label each, stored contiguously (row-major).</summary>
public sealed class Dataset
{
    /// <summary>Wraps <paramref name="features"/> (<c>count × featureCount</c>) and <paramref name="labels"/> (<c>count</c>).</summary>
    public Dataset(float[] features, int[] labels, int featureCount, int classCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        if (features.Length != labels.Length * featureCount)
            throw new ArgumentException($"features has {features.Length} values; expected {labels.Length} rows × {featureCount} = {labels.Length * featureCount}.", nameof(features));
        Guard.Labels(labels, classCount, nameof(labels));
        Features = features;
        Labels = labels;
        FeatureCount = featureCount;
        ClassCount = classCount;
    }

    /// <summary>All features, row-major.</summary>
    public float[] Features { get; }
    /// <summary>One label per row, in [0, <see cref="ClassCount"/>).</summary>
    public int[] Labels { get; }
    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }
    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }
    /// <summary>Number of rows.</summary>
    public int Count => Labels.Length;

    /// <summary>The features of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * FeatureCount, FeatureCount);

    /// <summary>A new dataset holding the given rows, in that order.</summary>
    public Dataset Subset(ReadOnlySpan<int> rows)
    {
        var features = new float[rows.Length * FeatureCount];
        var labels = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(features.AsSpan(i * FeatureCount));
            labels[i] = Labels[rows[i]];
        }
        return new Dataset(features, labels, FeatureCount, ClassCount);
    }

    /// <summary>
    /// Seeded random split into disjoint train and validation parts; <paramref name="validationFraction"/>
    /// of the rows (rounded) go to validation (the notes' train:validation = 4:1 is 0.2).
    /// </summary>
    public (Dataset Train, Dataset Validation) Split(double validationFraction, int seed)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Expected a fraction strictly between 0 and 1.");
        int[] order = new int[Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var rng = new Rng(seed, stream: 0x5711);
        rng.Shuffle(order);
        int validation = (int)Math.Round(Count * validationFraction);
        if (validation == 0 || validation == Count)
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, $"Splitting {Count} rows this way leaves one side empty.");
        return (Subset(order.AsSpan(validation)), Subset(order.AsSpan(0, validation)));
    }
}
