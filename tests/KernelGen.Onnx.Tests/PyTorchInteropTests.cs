using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using KernelGen.IO;
using Xunit;

namespace KernelGen.Onnx.Tests;

/// <summary>
/// Writes what tests/interop/torch_roundtrip.py reads: a trained FashionMlp checkpoint, its architecture (Info) and
/// Predict's outputs for fixed inputs. With KG_INTEROP_OUT set (eng/test-pytorch-interop.sh) it writes there and
/// PyTorch checks the outputs; either way the checkpoint is loaded back weights-only into a fresh network here.
/// </summary>
public sealed class PyTorchInteropTests
{
    [Fact]
    public void FashionMlp_checkpoint_and_Predict_outputs_for_PyTorch()
    {
        string dir = Environment.GetEnvironmentVariable("KG_INTEROP_OUT") is { Length: > 0 } d ? d : Path.Combine(Path.GetTempPath(), $"kg-interop-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        using var net = new FashionMlp(threads: 1);
        float[] x = ExportTests.Random(FashionMlp.BatchSize * FashionMlp.InputSize, 21);
        int[] labels = Enumerable.Range(0, FashionMlp.BatchSize).Select(i => (i * 7) % 10).ToArray();
        for (int step = 0; step < 20; step++) net.TrainStep(x, labels);
        const int Rows = 9;
        float[] inputs = ExportTests.Random(Rows * FashionMlp.InputSize, 22);
        float[] outputs = new float[Rows * FashionMlp.OutputSize];
        net.Predict(inputs, outputs);

        string checkpoint = Path.Combine(dir, "FashionMlp.safetensors");
        Checkpoint.Save(net, checkpoint);
        var layers = FashionMlp.Info.Layers.Select(l => new Dictionary<string, object>
        {
            ["kind"] = l.Kind.ToString(), ["activation"] = l.Activation.ToString(), ["inputs"] = l.Inputs, ["outputs"] = l.Outputs,
            ["bias"] = l.HasBias, ["alpha"] = l.Alpha, ["epsilon"] = l.Epsilon, ["momentum"] = l.Momentum, ["pieces"] = l.Pieces, ["rate"] = l.Rate,
        }).ToList();
        File.WriteAllText(Path.Combine(dir, "FashionMlp.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["loss"] = FashionMlp.Info.Loss.ToString(), ["layers"] = layers, ["rows"] = Rows,
            ["inputs"] = inputs, ["outputs"] = outputs,
        }));

        using var fresh = new FashionMlp(seed: 99, threads: 1);
        Checkpoint.LoadWeights(fresh, checkpoint);
        float[] again = new float[outputs.Length];
        fresh.Predict(inputs, again);
        Assert.Equal(outputs, again);
        if (Environment.GetEnvironmentVariable("KG_INTEROP_OUT") is not { Length: > 0 }) Directory.Delete(dir, true);
    }
}
