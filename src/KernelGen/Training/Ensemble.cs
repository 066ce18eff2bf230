using System;
using System.Collections.Generic;
using KernelGen.Runtime;

namespace KernelGen.Training;

/// <summary>
/// Model ensemble as the course notes describe it (deck 000, "Model Ensembles": "train multiple independent models; at test
/// time, average their results — take average of predicted probability distributions, then choose argmax"). The members are
/// softmax classifiers of the same input and output size; <see cref="Predict"/> and <see cref="Evaluate"/> run them in
/// inference mode (each member's own Predict) on chunks of <see cref="ChunkRows"/> rows through buffers allocated here, so
/// they allocate nothing and take any number of rows. Not thread-safe (shared scratch, and the members are not).
/// </summary>
/// <typeparam name="TNet">The member type.</typeparam>
public sealed class Ensemble<TNet> where TNet : IClassifier
{
    private readonly TNet[] _members;
    private readonly float[] _memberScratch; // ChunkRows × OutputSize: one member's probabilities
    private readonly float[] _averageScratch; // ChunkRows × OutputSize: the average (Evaluate)

    /// <summary>An ensemble of <paramref name="members"/> (at least one; same InputSize and OutputSize; softmax cross-entropy),
    /// predicting <paramref name="chunkRows"/> rows at a time.</summary>
    public Ensemble(IReadOnlyList<TNet> members, int chunkRows = 256)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkRows);
        _members = new TNet[members.Count];
        for (int i = 0; i < members.Count; i++)
        {
            TNet m = members[i] ?? throw new ArgumentException($"members[{i}] is null.", nameof(members));
            NetworkInfo info = m.Info;
            if (info.Loss != LossKind.SoftmaxCrossEntropy)
                throw new ArgumentException($"members[{i}] ({info.Name}) is not a softmax classifier: an ensemble averages predicted probabilities.", nameof(members));
            if (i > 0 && (info.Inputs != InputSize || info.Outputs != OutputSize))
                throw new ArgumentException($"members[{i}] ({info.Name}) has {info.Inputs} inputs and {info.Outputs} outputs; expected {InputSize} and {OutputSize} (members[0]).", nameof(members));
            if (i == 0)
            {
                InputSize = info.Inputs;
                OutputSize = info.Outputs;
            }
            _members[i] = m;
        }
        ChunkRows = chunkRows;
        _memberScratch = new float[chunkRows * OutputSize];
        _averageScratch = new float[chunkRows * OutputSize];
    }

    /// <summary>The members, in order.</summary>
    public IReadOnlyList<TNet> Members => _members;
    /// <summary>Inputs per row.</summary>
    public int InputSize { get; }
    /// <summary>Classes (outputs per row).</summary>
    public int OutputSize { get; }
    /// <summary>Rows each member predicts at a time.</summary>
    public int ChunkRows { get; }

    /// <summary>Averaged probabilities <c>(1/N)·Σₘ pₘ</c> for any number of rows (<c>inputs.Length / InputSize</c>) into
    /// <paramref name="outputs"/> (<c>rows × OutputSize</c>). Wrong lengths or non-finite inputs → <see cref="ArgumentException"/> before anything is written.</summary>
    public void Predict(ReadOnlySpan<float> inputs, Span<float> outputs)
    {
        int rows = Guard.Rows(inputs.Length, InputSize, nameof(inputs), "InputSize");
        Guard.RowsLength(outputs.Length, rows, OutputSize, nameof(outputs), "OutputSize");
        Guard.Finite(inputs, nameof(inputs));
        for (int start = 0; start < rows; start += ChunkRows)
        {
            int count = Math.Min(ChunkRows, rows - start);
            Average(inputs.Slice(start * InputSize, count * InputSize), outputs.Slice(start * OutputSize, count * OutputSize));
        }
    }

    /// <summary>Mean cross-entropy −log p̄[label] of the averaged probabilities p̄ (p̄ floored at the smallest float, 1.4e-45, so one
    /// confident miss costs at most 103.3) and the arg-max accuracy, over any number of rows. Changes nothing.</summary>
    public Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        int rows = labels.Length;
        Guard.NotEmpty(rows, nameof(labels));
        Guard.RowsLength(inputs.Length, rows, InputSize, nameof(inputs), "InputSize");
        Guard.Labels(labels, OutputSize, nameof(labels));
        Guard.Finite(inputs, nameof(inputs));
        double loss = 0;
        int correct = 0;
        for (int start = 0; start < rows; start += ChunkRows)
        {
            int count = Math.Min(ChunkRows, rows - start);
            Span<float> p = _averageScratch.AsSpan(0, count * OutputSize);
            Average(inputs.Slice(start * InputSize, count * InputSize), p);
            for (int r = 0; r < count; r++)
            {
                ReadOnlySpan<float> row = p.Slice(r * OutputSize, OutputSize);
                int label = labels[start + r], arg = 0;
                for (int k = 1; k < OutputSize; k++) if (row[k] > row[arg]) arg = k;
                if (arg == label) correct++;
                loss -= Math.Log(Math.Max(row[label], float.Epsilon));
            }
        }
        return new Evaluation(loss / rows, correct, rows);
    }

    /// <summary>One chunk: member 0 writes <paramref name="average"/>, the others add theirs, then ÷ N.</summary>
    private void Average(ReadOnlySpan<float> inputs, Span<float> average)
    {
        _members[0].Predict(inputs, average);
        if (_members.Length == 1) return;
        Span<float> p = _memberScratch.AsSpan(0, average.Length);
        for (int m = 1; m < _members.Length; m++)
        {
            _members[m].Predict(inputs, p);
            for (int i = 0; i < average.Length; i++) average[i] += p[i];
        }
        float n = _members.Length;
        for (int i = 0; i < average.Length; i++) average[i] /= n;
    }
}
