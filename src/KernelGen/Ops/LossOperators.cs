using System;
using System.Runtime.CompilerServices;

namespace KernelGen.Ops;

/// <summary>
/// Loss math, one row at a time. Rows are short (the network's outputs) so these stay scalar;
/// sums are kept in double. Fully optimised from the first call where not inlined (the generated loss and Predict call
/// them per row: under tiered compilation Softmax ran as tier-0 code for longer than as tier-1 in a `perf` of
/// KernelGen.Peers time, 0.15 % against 0.10 % of the samples).
/// </summary>
public static class LossOperators
{
    /// <summary>
    /// Softmax of one row of <paramref name="n"/> logits into <paramref name="probabilities"/>:
    /// <c>p_j = e^(z_j − m) / Σ_k e^(z_k − m)</c>, <c>m = max z</c> (so no overflow).
    /// Returns <c>log Σ_k e^(z_k − m)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static double Softmax(ref float logits, int n, ref float probabilities, out float max)
    {
        float m = logits;
        for (int j = 1; j < n; j++) m = MathF.Max(m, Unsafe.Add(ref logits, j));
        double sum = 0;
        for (int j = 0; j < n; j++)
        {
            float e = MathF.Exp(Unsafe.Add(ref logits, j) - m);
            Unsafe.Add(ref probabilities, j) = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
        for (int j = 0; j < n; j++) Unsafe.Add(ref probabilities, j) *= inv;
        max = m;
        return Math.Log(sum);
    }

    /// <summary>
    /// Softmax cross-entropy of one row: writes probabilities, and <c>(p − onehot(label))·scale</c> into
    /// <paramref name="gradient"/>; returns <c>−log p_label = log Σ e^(z−m) − (z_label − m)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static double SoftmaxCrossEntropy(ref float logits, int n, int label, ref float probabilities, ref float gradient, float scale)
    {
        double logSum = Softmax(ref logits, n, ref probabilities, out float max);
        for (int j = 0; j < n; j++) Unsafe.Add(ref gradient, j) = Unsafe.Add(ref probabilities, j) * scale;
        Unsafe.Add(ref gradient, label) -= scale;
        return logSum - (Unsafe.Add(ref logits, label) - max);
    }

    /// <summary>Softmax cross-entropy of one row without gradient (evaluation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static double SoftmaxCrossEntropyLoss(ref float logits, int n, int label, ref float probabilities)
    {
        double logSum = Softmax(ref logits, n, ref probabilities, out float max);
        return logSum - (Unsafe.Add(ref logits, label) - max);
    }

    /// <summary>
    /// Squared error of one row: returns <c>Σ_j (y_j − t_j)²</c> and writes <c>2(y − t)·scale</c> into <paramref name="gradient"/>
    /// (<c>scale = 1/(rows·n)</c> for the mean).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static double SquaredError(ref float outputs, ref float targets, int n, ref float gradient, float scale)
    {
        double sum = 0;
        for (int j = 0; j < n; j++)
        {
            float d = Unsafe.Add(ref outputs, j) - Unsafe.Add(ref targets, j);
            sum += (double)d * d;
            Unsafe.Add(ref gradient, j) = 2f * d * scale;
        }
        return sum;
    }

    /// <summary>Squared error of one row without gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static double SquaredErrorLoss(ref float outputs, ref float targets, int n)
    {
        double sum = 0;
        for (int j = 0; j < n; j++)
        {
            double d = (double)Unsafe.Add(ref outputs, j) - Unsafe.Add(ref targets, j);
            sum += d * d;
        }
        return sum;
    }

    /// <summary>Index of the largest of <paramref name="n"/> values (first on ties).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static int ArgMax(ref float values, int n)
    {
        int best = 0;
        float max = values;
        for (int j = 1; j < n; j++)
        {
            float v = Unsafe.Add(ref values, j);
            if (v > max) { max = v; best = j; }
        }
        return best;
    }
}
