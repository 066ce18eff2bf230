using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Google.Protobuf;
using P = global::Onnx;

namespace KernelGen.Onnx;

/// <summary>
/// Turns an ONNX feed-forward network (as <c>torch.onnx.export</c> writes them, opsets 7 to 20) into a KernelGen
/// attribute declaration and its weights. Every problem is an <see cref="InvalidDataException"/> naming the file, the
/// node, its op type and what was expected; nothing is written before the whole graph has been read.
/// </summary>
public static partial class OnnxImport
{
    /// <summary>The newest default-domain opset read (the opset-20 <c>Gelu</c> included).</summary>
    public const int MaxOpset = 20;
    /// <summary>The oldest default-domain opset read.</summary>
    public const int MinOpset = 7;

    /// <summary>The op types the import understands.</summary>
    public const string Supported =
        "Gemm (any transB/alpha/beta), MatMul + Add, Relu, LeakyRelu, PRelu, Elu, Softplus, Sigmoid, Tanh, Gelu (op, or the erf pattern Div/Erf/Add/Mul/Mul), " +
        "x·Sigmoid(x) (SiLU), BatchNormalization (inference), Dropout, Identity, Flatten/Reshape at the input, Softmax/LogSoftmax at the end, Constant";

    /// <summary>Reads <paramref name="path"/> and writes <c>className.cs</c> and <c>className.safetensors</c> into <paramref name="outDirectory"/>.</summary>
    public static (string Declaration, string WeightsFile) Import(string path, string className, string outDirectory, string? ns = null, int? batchSize = null)
        => Read(path, className, ns, batchSize).Write(outDirectory);

    /// <summary>Reads and converts <paramref name="path"/> without writing anything.</summary>
    public static ImportedModel Read(string path, string className, string? ns = null, int? batchSize = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(className);
        if (!IsIdentifier(className)) throw new ArgumentException($"'{className}' is not a C# class name.", nameof(className));
        if (ns is not null && !ns.Split('.').All(IsIdentifier)) throw new ArgumentException($"'{ns}' is not a C# namespace.", nameof(ns));
        if (batchSize is <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        byte[] bytes = File.ReadAllBytes(path);
        P.ModelProto model;
        try { model = P.ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) { throw Bad(path, $"not an ONNX model ({e.Message})."); }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw Bad(path, "not an ONNX model: no graph (an ONNX file is a serialized onnx.ModelProto).");
        return new Reader(path, model, className, ns, batchSize).Run();
    }

    private static bool IsIdentifier(string s) =>
        s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');

    internal static InvalidDataException Bad(string path, string message) => new($"{path}: {message}");

    private sealed record Tensor(long[] Dims, float[] Values)
    {
        public long Count => Values.Length;
        public string ShapeText => "[" + string.Join(", ", Dims) + "]";
    }

    private sealed record Layer(LayerInfo Info, string Attribute, string Comment, Dictionary<string, float[]> Tensors);

    /// <summary>
    /// One read of one file: the chain of nodes from the graph input to its output, turned into layers. Its parts:
    /// OnnxImport.Reader.cs (the graph, the input shape, initializers and Constants), OnnxImport.Nodes.cs (each node
    /// or node pattern), OnnxImport.Layers.cs (the layers, their weights and the declaration).
    /// </summary>
    private sealed partial class Reader(string path, P.ModelProto model, string className, string? ns, int? batchOption);

    private static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture) + "f";
}
