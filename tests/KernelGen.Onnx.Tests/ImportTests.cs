using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Google.Protobuf;
using KernelGen.IO;
using KernelGen.Onnx;
using KernelGen.Onnx.Tests.Imported;
using Xunit;
using Xunit.Abstractions;
using P = global::Onnx;

namespace KernelGen.Onnx.Tests;

/// <summary>The fixtures of tests/fixtures/onnx (trained and exported by PyTorch with make_fixtures.py) import, compile
/// (Imported/*.cs are the import's output, compiled by the generator into this project) and reproduce PyTorch's outputs.</summary>
public sealed class ImportTests(ITestOutputHelper output)
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures");
    private const string Ns = "KernelGen.Onnx.Tests.Imported";
    private const int Batch = 8;

    private static (float[] Inputs, double[] Outputs, int Rows) Expected(string name)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, name + ".json")));
        float[][] inputs = doc.RootElement.GetProperty("inputs").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        double[] outputs = doc.RootElement.GetProperty("outputs").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();
        return (inputs.SelectMany(r => r).ToArray(), outputs, inputs.Length);
    }

    private void Check<TNet>(string fixture, string className, Func<TNet> create, bool logSoftmax = false) where TNet : INetwork
    {
        ImportedModel imported = OnnxImport.Read(Path.Combine(Fixtures, fixture + ".onnx"), className, Ns, Batch);
        // The declaration compiled into this project is exactly what the import writes.
        string committed = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Imported", className + ".cs"));
        Assert.Equal(committed, imported.Source);

        using var dir = new TempDir();
        (_, string weights) = imported.Write(dir.Path);
        using TNet net = create();
        Assert.Equal(Checkpoint.Signature(imported.Info), Checkpoint.Signature(net.Info));
        Checkpoint.LoadWeights(net, weights);

        (float[] inputs, double[] expected, int rows) = Expected(fixture);
        if (logSoftmax) expected = expected.Select(Math.Exp).ToArray();
        float[] actual = new float[expected.Length];
        net.Predict(inputs, actual);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), 1e-3));
        output.WriteLine($"{fixture}: {rows} rows, max relative difference KernelGen vs PyTorch {worst:E2}");
        Assert.True(worst <= 1e-5, $"{fixture}: max relative difference {worst}");
    }

    [Fact] public void Relu_BatchNorm_fixture_matches_PyTorch() => Check("mlp_relu_bn", "ReluBnMlp", () => new ReluBnMlp(threads: 1));
    [Fact] public void Elu_LeakyRelu_fixture_matches_PyTorch() => Check("mlp_elu_leaky", "EluLeakyMlp", () => new EluLeakyMlp(threads: 1));
    [Fact] public void Gelu_Silu_PRelu_fixture_matches_PyTorch() => Check("mlp_gelu_silu_prelu", "GeluSiluPreluMlp", () => new GeluSiluPreluMlp(threads: 1), logSoftmax: true);

    [Fact]
    public void Export_of_an_imported_model_runs_in_OnnxRuntime_like_the_original()
    {
        string original = Path.Combine(Fixtures, "mlp_relu_bn.onnx");
        using var dir = new TempDir();
        (_, string weights) = OnnxImport.Import(original, "ReluBnMlp", dir.Path, Ns, Batch);
        using var net = new ReluBnMlp(threads: 1);
        Checkpoint.LoadWeights(net, weights);
        string exported = Path.Combine(dir.Path, "again.onnx");
        OnnxExport.Export(net, exported);
        float[] x = ExportTests.Random(50 * 10, 11);
        double rel = ExportTests.MaxRelative(ExportTests.RunOrt(exported, x, 50, 10), ExportTests.RunOrt(original, x, 50, 10), 1e-3);
        output.WriteLine($"PyTorch's ONNX vs KernelGen's re-export in ORT: {rel:E2}");
        Assert.True(rel <= 1e-5, $"max relative difference {rel}");
    }

    /// <summary>The same network written as MatMul + Add and as Gemm with transB = 0, alpha and beta imports to the same
    /// declaration layers and bit-identical weights as the PyTorch export (which matches PyTorch's outputs above).</summary>
    [Fact]
    public void MatMul_Add_and_Gemm_with_alpha_beta_transB0_import_like_the_original()
    {
        P.ModelProto m = Fixture("mlp_elu_leaky");
        static float[] Values(P.TensorProto t) => t.RawData.Length > 0 ? MemoryMarshalFloats(t.RawData.ToByteArray()) : t.FloatData.ToArray();
        P.TensorProto Transposed(string name, string newName, float scale)
        {
            P.TensorProto w = m.Graph.Initializer.First(t => t.Name == name);
            int o = (int)w.Dims[0], i = (int)w.Dims[1];
            float[] v = Values(w);
            var t = new P.TensorProto { Name = newName, DataType = w.DataType };
            t.Dims.Add(new long[] { i, o });
            for (int a = 0; a < i; a++) for (int b = 0; b < o; b++) t.FloatData.Add(v[b * i + a] * scale);
            m.Graph.Initializer.Add(t);
            return t;
        }
        // Gemm 1 → MatMul(x, Wᵀ) + Add(·, b).
        P.NodeProto g0 = m.Graph.Node.First(n => n.OpType == "Gemm");
        Transposed(g0.Input[1], "w0t", 1);
        var matmul = new P.NodeProto { Name = "mm0", OpType = "MatMul" };
        matmul.Input.Add(new[] { g0.Input[0], "w0t" });
        matmul.Output.Add("mm0_out");
        var add = new P.NodeProto { Name = "add0", OpType = "Add" };
        add.Input.Add(new[] { "mm0_out", g0.Input[2] });
        add.Output.Add(g0.Output[0]);
        int at = m.Graph.Node.IndexOf(g0);
        m.Graph.Node.RemoveAt(at);
        m.Graph.Node.Insert(at, add);
        m.Graph.Node.Insert(at, matmul);
        // Gemm 2 → transB = 0 on Wᵀ/2 with alpha = 2, and the bias ×2 with beta = 0.5.
        P.NodeProto g1 = m.Graph.Node.Where(n => n.OpType == "Gemm").First();
        Transposed(g1.Input[1], "w1t", 0.5f);
        P.TensorProto b1 = m.Graph.Initializer.First(t => t.Name == g1.Input[2]);
        var b1x2 = new P.TensorProto { Name = "b1x2", DataType = b1.DataType };
        b1x2.Dims.Add(new long[] { 1, b1.Dims[0] });
        b1x2.FloatData.Add(Values(b1).Select(v => v * 2));
        m.Graph.Initializer.Add(b1x2);
        g1.Input[1] = "w1t";
        g1.Input[2] = "b1x2";
        g1.Attribute.Clear();
        g1.Attribute.Add(new P.AttributeProto { Name = "alpha", Type = P.AttributeProto.Types.AttributeType.Float, F = 2 });
        g1.Attribute.Add(new P.AttributeProto { Name = "beta", Type = P.AttributeProto.Types.AttributeType.Float, F = 0.5f });

        ImportedModel original = OnnxImport.Read(Path.Combine(Fixtures, "mlp_elu_leaky.onnx"), "EluLeakyMlp", Ns, Batch);
        ImportedModel rewritten = OnnxImport.Read(WriteTemp(m), "EluLeakyMlp", Ns, Batch);
        Assert.Equal(Checkpoint.Signature(original.Info), Checkpoint.Signature(rewritten.Info));
        Assert.Contains("mm0 (MatMul) + add0 (Add)", rewritten.Source);
        Assert.Equal(original.Weights.Select(t => t.Name), rewritten.Weights.Select(t => t.Name));
        for (int i = 0; i < original.Weights.Count; i++)
            Assert.Equal(original.Weights[i].ToFloats(), rewritten.Weights[i].ToFloats());
    }

    /// <summary>The opset-20 Gelu op imports like the erf pattern torch 1.13 writes; approximate = "tanh" is refused.</summary>
    [Fact]
    public void Opset20_Gelu_op_imports_like_the_erf_pattern()
    {
        P.ModelProto m = Fixture("mlp_gelu_silu_prelu");
        int div = m.Graph.Node.IndexOf(m.Graph.Node.First(n => n.OpType == "Div"));
        string x = m.Graph.Node[div].Input[0];
        // torch names the GELU module's nodes /2/...: the last Mul (× 0.5) is the pattern's output.
        string y = m.Graph.Node.Last(n => n.OpType == "Mul" && n.Name.StartsWith("/2/", StringComparison.Ordinal)).Output[0];
        foreach (P.NodeProto n in m.Graph.Node.Where(n => n.Name.StartsWith("/2/", StringComparison.Ordinal)).ToList()) m.Graph.Node.Remove(n);
        var gelu = new P.NodeProto { Name = "gelu", OpType = "Gelu" };
        gelu.Input.Add(x);
        gelu.Output.Add(y);
        m.Graph.Node.Insert(div, gelu);
        m.OpsetImport[0].Version = 20;
        ImportedModel original = OnnxImport.Read(Path.Combine(Fixtures, "mlp_gelu_silu_prelu.onnx"), "GeluSiluPreluMlp", Ns, Batch);
        ImportedModel op = OnnxImport.Read(WriteTemp(m), "GeluSiluPreluMlp", Ns, Batch);
        Assert.Equal(Checkpoint.Signature(original.Info), Checkpoint.Signature(op.Info));
        Assert.Contains("[Activation(Act.GELU)]                 // gelu (Gelu)", op.Source);
        for (int i = 0; i < original.Weights.Count; i++) Assert.Equal(original.Weights[i].ToFloats(), op.Weights[i].ToFloats());

        gelu.Attribute.Add(new P.AttributeProto { Name = "approximate", Type = P.AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("tanh") });
        Assert.Contains("node 'gelu' (Gelu): approximate = 'tanh'", Rejected(m.ToByteArray()));
    }

    // ---- bad inputs: each a clear InvalidDataException, no file written ----

    private static P.ModelProto Fixture(string name) => P.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(Fixtures, name + ".onnx")));

    private static string Rejected(byte[] model, int? batch = Batch)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "bad.onnx"), outDir = Path.Combine(dir.Path, "out");
        File.WriteAllBytes(path, model);
        var e = Assert.Throws<InvalidDataException>(() => OnnxImport.Import(path, "Bad", outDir, null, batch));
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), "a file was written");
        Assert.StartsWith(path + ": ", e.Message);
        return e.Message;
    }

    [Fact]
    public void Truncated_file_is_rejected()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Fixtures, "mlp_elu_leaky.onnx"));
        string m = Rejected(bytes[..(bytes.Length / 2)]);
        Assert.Contains("not an ONNX model", m);
    }

    [Fact]
    public void Non_onnx_file_is_rejected()
    {
        Assert.Contains("not an ONNX model", Rejected(System.Text.Encoding.UTF8.GetBytes("{\"this\": \"is json, not ONNX\"}\n")));
        Assert.Contains("not an ONNX model", Rejected(File.ReadAllBytes(Path.Combine(Fixtures, "mlp_elu_leaky.json"))));
    }

    [Fact]
    public void Opset_newer_than_supported_is_rejected()
    {
        P.ModelProto m = Fixture("mlp_elu_leaky");
        m.OpsetImport[0].Version = 21;
        Assert.Contains("opset 21 is newer than supported (opsets 7 to 20)", Rejected(m.ToByteArray()));
    }

    [Fact]
    public void Dynamic_batch_without_batch_option_is_rejected_and_a_fixed_one_needs_none()
    {
        P.ModelProto m = Fixture("mlp_elu_leaky");
        Assert.Contains("dynamic batch dimension ('batch'); pass --batch B", Rejected(m.ToByteArray(), batch: null));
        m.Graph.Input[0].Type.TensorType.Shape.Dim[0] = new P.TensorShapeProto.Types.Dimension { DimValue = 4 };
        ImportedModel fixedBatch = OnnxImport.Read(WriteTemp(m), "Fixed");
        Assert.Equal(4, fixedBatch.Info.BatchSize);
    }

    [Theory]
    [InlineData("Conv")]
    [InlineData("LSTM")]
    public void Unsupported_op_is_named_with_the_supported_list(string op)
    {
        P.ModelProto m = Fixture("mlp_elu_leaky");
        P.NodeProto elu = m.Graph.Node.First(n => n.OpType == "Elu");
        elu.OpType = op;
        string message = Rejected(m.ToByteArray());
        Assert.Contains($"node '{elu.Name}' ({op}): op type '{op}' is not supported. Supported: Gemm", message);
        Assert.Contains(OnnxImport.Supported, message);
    }

    [Fact]
    public void Weight_of_the_wrong_shape_is_rejected()
    {
        P.ModelProto m = Fixture("mlp_elu_leaky");
        // The second Gemm's weight as [16, 19]: its input has 20 features.
        P.TensorProto w = m.Graph.Initializer.First(t => t.Name == "2.weight");
        float[] values = w.RawData.Length > 0 ? MemoryMarshalFloats(w.RawData.ToByteArray()) : w.FloatData.ToArray();
        w.Dims[1] = 19;
        w.ClearRawData();
        w.FloatData.Clear();
        w.FloatData.Add(values.Take(16 * 19));
        string message = Rejected(m.ToByteArray());
        Assert.Contains("(Gemm): weight '2.weight' has shape [16, 19]; expected [outputs, 20] (transB = 1)", message);
    }

    [Fact]
    public void Batch_norm_statistics_of_the_wrong_length_are_rejected()
    {
        P.ModelProto m = Fixture("mlp_relu_bn");
        P.TensorProto var = m.Graph.Initializer.First(t => t.Name == "1.running_var");
        float[] values = MemoryMarshalFloats(var.RawData.ToByteArray());
        var.Dims[0] = 23;
        var.RawData = ByteString.CopyFrom(var.RawData.Span[..(23 * 4)]);
        Assert.Contains("input_var '1.running_var' has shape [23]; expected [24]", Rejected(m.ToByteArray()));
        Assert.Equal(24, values.Length);
    }

    private static float[] MemoryMarshalFloats(byte[] b) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(b).ToArray();

    private static string WriteTemp(P.ModelProto m)
    {
        string path = Path.Combine(Path.GetTempPath(), $"kg-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, m.ToByteArray());
        return path;
    }
}

internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kg-onnx-{Guid.NewGuid():N}");
    public TempDir() => Directory.CreateDirectory(Path);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
