using System;
using System.Linq;
using KernelGen.Training;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Model ensembles (deck 000 "Model Ensembles": average the predicted probability distributions, then arg-max).</summary>
[Collection("Allocation")]
public class EnsembleTests
{
    private static DigitsNet[] Members(int n) => Enumerable.Range(0, n).Select(i => new DigitsNet(seed: 100 + i, isa: Isa.Auto)).ToArray();

    private static (float[] X, int[] Y) Data(int rows, int seed)
    {
        var r = new Random(seed);
        return (Enumerable.Range(0, rows * DigitsNet.InputSize).Select(_ => (float)r.NextDouble()).ToArray(),
                Enumerable.Range(0, rows).Select(_ => r.Next(DigitsNet.OutputSize)).ToArray());
    }

    [Fact]
    public void An_ensemble_of_one_is_the_member()
    {
        DigitsNet[] m = Members(1);
        var (x, y) = Data(300, 1);
        var e = new Ensemble<DigitsNet>(m, chunkRows: 64);
        float[] a = new float[300 * 10], b = new float[300 * 10];
        e.Predict(x, a);
        m[0].Predict(x, b);
        Assert.Equal(b, a);
        Evaluation ev = e.Evaluate(x, y), mv = m[0].Evaluate(x, y);
        Assert.Equal(mv.Correct, ev.Correct);
        Assert.Equal(mv.Count, ev.Count);
        Assert.True(Math.Abs(ev.MeanLoss - mv.MeanLoss) < 1e-5 * Math.Max(1, mv.MeanLoss), $"{ev.MeanLoss} vs {mv.MeanLoss}");
        foreach (var n in m) n.Dispose();
    }

    [Fact]
    public void Predictions_are_the_average_of_the_members_probabilities_and_evaluate_scores_them()
    {
        DigitsNet[] m = Members(3);
        var (train, labels) = Data(32, 9);
        for (int i = 0; i < m.Length; i++) for (int s = 0; s < 5 * (i + 1); s++) m[i].TrainStep(train, labels); // members that differ
        const int rows = 203; // not a multiple of the chunk
        var (x, y) = Data(rows, 2);
        var e = new Ensemble<DigitsNet>(m, chunkRows: 50);
        float[] avg = new float[rows * 10];
        e.Predict(x, avg);
        double[][] p = m.Select(n => { var o = new float[rows * 10]; n.Predict(x, o); return o.Select(v => (double)v).ToArray(); }).ToArray();
        double loss = 0;
        int correct = 0;
        for (int r = 0; r < rows; r++)
        {
            int arg = 0;
            double[] mean = new double[10];
            for (int k = 0; k < 10; k++)
            {
                mean[k] = (p[0][r * 10 + k] + p[1][r * 10 + k] + p[2][r * 10 + k]) / 3;
                Assert.True(Math.Abs(avg[r * 10 + k] - mean[k]) <= 1e-6 * mean[k] + 1e-9, $"row {r} class {k}: {avg[r * 10 + k]} vs {mean[k]}");
                if (mean[k] > mean[arg]) arg = k;
            }
            Assert.True(Math.Abs(mean.Sum() - 1) < 1e-5);
            if (arg == y[r]) correct++;
            loss -= Math.Log(mean[y[r]]);
        }
        Evaluation ev = e.Evaluate(x, y);
        Assert.Equal(correct, ev.Correct);
        Assert.Equal(rows, ev.Count);
        Assert.True(Math.Abs(ev.MeanLoss - loss / rows) < 1e-5 * (loss / rows), $"{ev.MeanLoss} vs {loss / rows}");
        foreach (var n in m) n.Dispose();
    }

    [Fact]
    public void Predict_and_evaluate_allocate_nothing()
    {
        DigitsNet[] m = Members(3);
        var (x, y) = Data(500, 3);
        var e = new Ensemble<DigitsNet>(m, chunkRows: 128);
        float[] o = new float[500 * 10];
        e.Predict(x, o);
        e.Evaluate(x, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            e.Predict(x, o);
            e.Evaluate(x, y);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        foreach (var n in m) n.Dispose();
    }

    [Fact]
    public void Wrong_lengths_and_members_throw_ArgumentException()
    {
        DigitsNet[] m = Members(2);
        var e = new Ensemble<DigitsNet>(m);
        var (x, y) = Data(4, 4);
        float[] o = new float[40];
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => e.Predict(x.AsSpan(1), o)).ParamName);
        Assert.Equal("outputs", Assert.Throws<ArgumentException>(() => e.Predict(x, new float[39])).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => e.Evaluate(x, y.AsSpan(1))).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => e.Evaluate(x, new[] { 0, 1, 2, 10 })).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => e.Evaluate(ReadOnlySpan<float>.Empty, ReadOnlySpan<int>.Empty)).ParamName);
        float[] nan = (float[])x.Clone();
        nan[5] = float.NaN;
        float[] untouched = Enumerable.Repeat(7f, 40).ToArray();
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => e.Predict(nan, untouched)).ParamName);
        Assert.All(untouched, v => Assert.Equal(7f, v));
        Assert.Throws<ArgumentException>(() => new Ensemble<DigitsNet>(Array.Empty<DigitsNet>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Ensemble<DigitsNet>(m, chunkRows: 0));
        using var odd = new OddNet(isa: Isa.Auto);
        Assert.Equal("members", Assert.Throws<ArgumentException>(() => new Ensemble<IClassifier>(new IClassifier[] { m[0], odd })).ParamName);
        foreach (var n in m) n.Dispose();
    }
}
