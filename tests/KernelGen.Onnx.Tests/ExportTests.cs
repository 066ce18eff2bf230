using System;
using System.IO;
using System.Linq;
using KernelGen.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace KernelGen.Onnx.Tests;

public sealed class ExportTests(ITestOutputHelper output)
{
    /// <summary>Runs an ONNX file in ONNX Runtime on <paramref name="rows"/> rows.</summary>
    internal static float[] RunOrt(string path, float[] inputs, int rows, int features)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(path, options);
        var tensor = new DenseTensor<float>(inputs, new[] { rows, features });
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), tensor) });
        return results.First().AsEnumerable<float>().ToArray();
    }

    internal static float[] Random(int n, int seed, float scale = 1)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>Largest |a − b| / max(|b|, floor) over the outputs.</summary>
    internal static double MaxRelative(float[] a, float[] b, double floor)
    {
        Assert.Equal(b.Length, a.Length);
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(float.IsFinite(a[i]) && float.IsFinite(b[i]), $"output {i}: {a[i]} vs {b[i]}");
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / Math.Max(Math.Abs(b[i]), floor));
        }
        return worst;
    }

    [Fact]
    public void FashionMlp_runs_in_OnnxRuntime_with_Predicts_outputs()
    {
        using var net = new FashionMlp(isa: Isa.Vector256, threads: 1);
        // Train a little so the batch-norm statistics and weights are no longer their initial values.
        float[] x = Random(FashionMlp.BatchSize * FashionMlp.InputSize, 1);
        int[] labels = Enumerable.Range(0, FashionMlp.BatchSize).Select(i => i % 10).ToArray();
        for (int step = 0; step < 20; step++) net.TrainStep(x, labels);
        Assert.NotEqual(0f, net.RunningStatistics[0]);

        const int Rows = 300; // more than BatchSize: Predict's chunking and ORT's dynamic batch
        float[] inputs = Random(Rows * FashionMlp.InputSize, 2);
        float[] expected = new float[Rows * FashionMlp.OutputSize];
        net.Predict(inputs, expected);

        string path = Path.Combine(Path.GetTempPath(), $"kg-fashion-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExport.Export(net, path);
            float[] actual = RunOrt(path, inputs, Rows, FashionMlp.InputSize);
            double rel = MaxRelative(actual, expected, 1e-3);
            output.WriteLine($"FashionMlp: {Rows} rows, max relative difference ORT vs Predict {rel:E2} ({new FileInfo(path).Length} bytes)");
            Assert.True(rel <= 1e-5, $"max relative difference {rel}");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Every_activation_maxout_and_PReLU_run_in_OnnxRuntime_with_Predicts_outputs()
    {
        using var net = new EveryActivationNet(isa: Isa.Vector256, threads: 1);
        float[] x = Random(EveryActivationNet.BatchSize * EveryActivationNet.InputSize, 5);
        float[] y = Random(EveryActivationNet.BatchSize * EveryActivationNet.OutputSize, 6);
        for (int step = 0; step < 30; step++) net.TrainStep(x, y);

        const int Rows = 37;
        float[] inputs = Random(Rows * EveryActivationNet.InputSize, 7, 3);
        float[] expected = new float[Rows * EveryActivationNet.OutputSize];
        net.Predict(inputs, expected);
        string path = Path.Combine(Path.GetTempPath(), $"kg-every-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExport.Export(net, path);
            float[] actual = RunOrt(path, inputs, Rows, EveryActivationNet.InputSize);
            // Nine float layers ending in a dense layer whose outputs cancel (|y| ≤ 0.08, some near 0.002): element-wise
            // relative differences reach 2.2e-5 there, absolute ones 4e-8. Measured relative to the outputs' scale.
            double rel = MaxRelative(actual, expected, expected.Max(Math.Abs));
            output.WriteLine($"EveryActivationNet: max relative difference ORT vs Predict {rel:E2}, outputs up to {expected.Max(Math.Abs):G3}");
            Assert.True(rel <= 1e-5, $"max relative difference {rel}");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Layer_norm_runs_in_OnnxRuntime_as_LayerNormalization_with_Predicts_outputs()
    {
        using var net = new LayerNormExportNet(isa: Isa.Vector256, threads: 1);
        float[] x = Random(LayerNormExportNet.BatchSize * LayerNormExportNet.InputSize, 8);
        float[] y = Random(LayerNormExportNet.BatchSize * LayerNormExportNet.OutputSize, 9);
        for (int step = 0; step < 30; step++) net.TrainStep(x, y); // γ and β move off 1 and 0
        Assert.NotEqual(1f, net.Parameters[LayerNormExportNet.Info.Layers[1].WeightOffset]);

        const int Rows = 23; // more than BatchSize
        float[] inputs = Random(Rows * LayerNormExportNet.InputSize, 10, 3);
        float[] expected = new float[Rows * LayerNormExportNet.OutputSize];
        net.Predict(inputs, expected);
        string path = Path.Combine(Path.GetTempPath(), $"kg-layernorm-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExport.Export(net, path);
            Assert.Equal(2, global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Node.Count(n => n.OpType == "LayerNormalization"));
            float[] actual = RunOrt(path, inputs, Rows, LayerNormExportNet.InputSize);
            double rel = MaxRelative(actual, expected, expected.Max(Math.Abs));
            output.WriteLine($"LayerNormExportNet: max relative difference ORT vs Predict {rel:E2}");
            Assert.True(rel <= 1e-5, $"max relative difference {rel}");
        }
        finally { File.Delete(path); }
    }
}
