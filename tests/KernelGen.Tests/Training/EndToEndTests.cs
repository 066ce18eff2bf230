using System;
using System.IO;
using System.Linq;
using KernelGen.Data;
using KernelGen.IO;
using KernelGen.Training;
using Xunit;
using Xunit.Abstractions;

namespace KernelGen.Tests;

/// <summary>The whole workflow of issue 5 on real data: load, split, fit preprocessing on train only, train, stop, save, reload, test.</summary>
public class EndToEndTests
{
    private readonly ITestOutputHelper _out;

    public EndToEndTests(ITestOutputHelper output) => _out = output;

    [Fact]
    public void Fashion_mnist_short_run_learns_and_round_trips_through_a_checkpoint()
    {
        string? dir = FashionMnist.Locate();
        if (Networks.SkipLarge)
        {
            _out.WriteLine("KG_SKIP_LARGE=1: every vector op is emulated in this run; the hardware runs cover this test.");
            return;
        }
        if (dir is null)
        {
            _out.WriteLine("Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist): nothing to check here.");
            return;
        }
        (Dataset all, Dataset test) = FashionMnist.Load(dir);
        Dataset subset = all.Subset(Enumerable.Range(0, 12_000).ToArray());
        (Dataset train, Dataset valid) = subset.Split(0.2, seed: 3);
        Preprocessor standardize = Preprocessor.FitStandardize(train.Features, train.FeatureCount);
        float[] validRaw = (float[])valid.Features.Clone();
        standardize.ApplyTo(train);
        standardize.ApplyTo(valid);
        standardize.ApplyTo(test);

        // Statistics come from the training rows only: applying them to the raw validation rows reproduces what we evaluate on.
        Preprocessor again = Preprocessor.FitStandardize(train.Features, train.FeatureCount);
        Assert.All(again.Mean.ToArray(), m => Assert.True(Math.Abs(m) < 1e-3)); // the training part is now centred …
        float[] manual = (float[])validRaw.Clone();
        standardize.Apply(manual);
        Assert.Equal(valid.Features, manual);

        using var net = new FashionMlp(seed: 3);
        var trainer = new Trainer<FashionMlp>(net, train, seed: 3);
        FitResult fit = trainer.Fit(valid, new FitOptions { Epochs = 3, Metric = StopMetric.ValidationAccuracy });
        Evaluation testEval = net.Evaluate(test.Features, test.Labels);
        _out.WriteLine($"validation {fit.Best.ValidationAccuracy:P2} (epoch {fit.BestEpoch}), test {testEval.Accuracy:P2}");
        Assert.True(fit.Best.ValidationAccuracy > 0.80, $"validation accuracy {fit.Best.ValidationAccuracy:P2}");
        Assert.True(testEval.Accuracy > 0.80, $"test accuracy {testEval.Accuracy:P2}");

        string path = Path.Combine(Path.GetTempPath(), $"kg-e2e-{Guid.NewGuid():N}.safetensors");
        try
        {
            Checkpoint.Save(net, path, extraTensors: standardize.Export("preprocessing."));
            using var loaded = new FashionMlp(seed: 99);
            Checkpoint.Load(loaded, path);
            Assert.Equal(net.Parameters.ToArray(), loaded.Parameters.ToArray());
            Assert.Equal(net.RunningStatistics.ToArray(), loaded.RunningStatistics.ToArray());
            Assert.Equal(net.Step, loaded.Step);
            Assert.Equal(testEval, loaded.Evaluate(test.Features, test.Labels));

            var tensors = Checkpoint.ReadExtra(path, "preprocessing.").ToDictionary(t => t.Name, t => (t.Shape, t.Data));
            Preprocessor restored = Preprocessor.Import(standardize.KindName, tensors, "preprocessing.");
            float[] a = (float[])validRaw.Clone();
            restored.Apply(a);
            Assert.Equal(valid.Features, a);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invert_undoes_standardisation_up_to_rounding()
    {
        var rng = new KernelGen.Runtime.Rng(5);
        float[] x = Enumerable.Range(0, 40 * 7).Select(_ => (float)rng.NextDouble() * 3f).ToArray();
        foreach (PreprocessingKind kind in new[] { PreprocessingKind.ZeroCenter, PreprocessingKind.Standardize, PreprocessingKind.StandardizeGlobal })
        {
            Preprocessor p = Preprocessor.Fit(kind, x, 7);
            Assert.True(p.IsInvertible);
            float[] y = (float[])x.Clone();
            p.Apply(y);
            p.Invert(y);
            for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], y[i], 1e-5f);
        }
        Preprocessor zca = Preprocessor.Fit(PreprocessingKind.ZcaWhiten, x, 7);
        Assert.False(zca.IsInvertible);
        Assert.Throws<InvalidOperationException>(() => zca.Invert(x.AsSpan()));
    }
}
