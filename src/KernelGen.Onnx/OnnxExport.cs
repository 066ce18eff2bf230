using System;
using System.Collections.Generic;
using System.IO;
using Google.Protobuf;
using KernelGen.IO;
using P = global::Onnx;

namespace KernelGen.Onnx;

/// <summary>
/// Writes a KernelGen network as an ONNX model in inference mode: opset 17, IR version 8, input <c>input</c>
/// <c>[batch, Inputs]</c> and output <c>output</c> <c>[batch, Outputs]</c> with a dynamic batch dimension. Dense layers are
/// <c>Gemm</c> with <c>transB = 1</c> on the canonical <c>[outputs, inputs]</c> weights; batch norm is
/// <c>BatchNormalization</c> with the running statistics; layer norm is <c>LayerNormalization</c> (axis −1); dropout is omitted; maxout is <c>Reshape</c> + <c>ReduceMax</c>;
/// GELU is the exact erf form; SiLU is <c>x·Sigmoid(x)</c>; a softmax-cross-entropy network ends in <c>Softmax</c>, so the
/// outputs are what <c>Predict</c> writes. Initializers carry the checkpoint tensor names (<c>L{k}.weight</c>, ...).
/// </summary>
public static class OnnxExport
{
    /// <summary>The opset the export writes.</summary>
    public const int Opset = 17;

    /// <summary>Writes <paramref name="net"/> to <paramref name="path"/> (atomically).</summary>
    public static void Export(INetwork net, string path)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = ToModel(net).ToByteArray();
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>The ONNX model of <paramref name="net"/> as bytes.</summary>
    public static byte[] ToBytes(INetwork net)
    {
        ArgumentNullException.ThrowIfNull(net);
        return ToModel(net).ToByteArray();
    }

    internal static P.ModelProto ToModel(INetwork net)
    {
        NetworkInfo info = net.Info;
        float[] parameters = net.Parameters.ToArray(), statistics = net.RunningStatistics.ToArray();
        foreach (float v in parameters)
            if (!float.IsFinite(v)) throw new ArgumentException($"{info.Name}'s parameters are not all finite; a diverged network cannot be exported.", nameof(net));

        var graph = new P.GraphProto { Name = info.Name };
        var tensors = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        foreach (CheckpointTensor t in Checkpoint.Tensors(info)) tensors[t.Name] = t;
        P.TensorProto Initializer(string name)
        {
            CheckpointTensor t = tensors[name];
            var proto = new P.TensorProto { Name = name, DataType = (int)P.TensorProto.Types.DataType.Float };
            foreach (int d in t.Shape) proto.Dims.Add(d);
            ReadOnlySpan<float> from = (t.Statistics ? statistics : parameters).AsSpan(t.Offset, t.Length);
            foreach (float v in from) proto.FloatData.Add(v);
            graph.Initializer.Add(proto);
            return proto;
        }

        string x = "input";
        int nodeCount = 0;
        string Node(string op, string layerName, IEnumerable<string> inputs, params P.AttributeProto[] attributes)
        {
            string output = $"{layerName}.{op}{nodeCount}";
            var node = new P.NodeProto { OpType = op, Name = $"{layerName}/{op}_{nodeCount++}" };
            node.Input.AddRange(inputs);
            node.Output.Add(output);
            node.Attribute.AddRange(attributes);
            graph.Node.Add(node);
            return output;
        }
        string ConstantFloat(string name, float value)
        {
            var t = new P.TensorProto { Name = name, DataType = (int)P.TensorProto.Types.DataType.Float };
            t.FloatData.Add(value);
            graph.Initializer.Add(t);
            return name;
        }

        for (int k = 0; k < info.Layers.Count; k++)
        {
            LayerInfo layer = info.Layers[k];
            string l = $"L{k}";
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                {
                    Initializer($"{l}.weight");
                    var inputs = new List<string> { x, $"{l}.weight" };
                    if (layer.HasBias)
                    {
                        Initializer($"{l}.bias");
                        inputs.Add($"{l}.bias");
                    }
                    x = Node("Gemm", l, inputs, Int("transB", 1));
                    break;
                }
                case LayerKind.BatchNorm:
                    foreach (string s in new[] { "weight", "bias", "running_mean", "running_var" }) Initializer($"{l}.{s}");
                    x = Node("BatchNormalization", l, new[] { x, $"{l}.weight", $"{l}.bias", $"{l}.running_mean", $"{l}.running_var" },
                        Float("epsilon", layer.Epsilon), Float("momentum", layer.Momentum));
                    break;
                case LayerKind.LayerNorm:
                    // LayerNormalization (opset 17) over the last axis: X, Scale = γ, B = β; the same in training and inference.
                    Initializer($"{l}.weight");
                    Initializer($"{l}.bias");
                    x = Node("LayerNormalization", l, new[] { x, $"{l}.weight", $"{l}.bias" }, Int("axis", -1), Float("epsilon", layer.Epsilon));
                    break;
                case LayerKind.Dropout:
                    break;
                case LayerKind.Maxout:
                {
                    var shape = new P.TensorProto { Name = $"{l}.shape", DataType = (int)P.TensorProto.Types.DataType.Int64 };
                    shape.Dims.Add(3);
                    shape.Int64Data.Add(new long[] { -1, layer.Pieces, layer.Outputs });
                    graph.Initializer.Add(shape);
                    string r = Node("Reshape", l, new[] { x, $"{l}.shape" });
                    x = Node("ReduceMax", l, new[] { r }, Ints("axes", 1), Int("keepdims", 0));
                    break;
                }
                case LayerKind.Activation:
                    x = Activation(layer, l, x, Node, ConstantFloat, () => Initializer($"{l}.alpha"));
                    break;
                default:
                    throw new ArgumentException($"Layer {k} of {info.Name} is {layer.Kind}, which the export does not know.", nameof(net));
            }
        }
        if (info.Loss == LossKind.SoftmaxCrossEntropy) x = Node("Softmax", "head", new[] { x }, Int("axis", -1));
        // The graph's output is called "output": rename the last node's output (or add an Identity when x is the input).
        if (x == "input") x = Node("Identity", "head", new[] { x });
        graph.Node[^1].Output[0] = "output";

        graph.Input.Add(Value("input", info.Inputs));
        graph.Output.Add(Value("output", info.Outputs));
        var model = new P.ModelProto
        {
            IrVersion = 8,
            ProducerName = "KernelGen",
            ProducerVersion = typeof(INetwork).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
            DocString = $"{info.Name}: {Checkpoint.Signature(info)}; inference mode (Predict's outputs).",
        };
        model.OpsetImport.Add(new P.OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    private static string Activation(LayerInfo layer, string l, string x, Func<string, string, IEnumerable<string>, P.AttributeProto[], string> node,
        Func<string, float, string> constant, Func<P.TensorProto> alpha)
    {
        switch (layer.Activation)
        {
            case Act.Identity: return x;
            case Act.ReLU: return node("Relu", l, new[] { x }, Array.Empty<P.AttributeProto>());
            case Act.Sigmoid: return node("Sigmoid", l, new[] { x }, Array.Empty<P.AttributeProto>());
            case Act.Tanh: return node("Tanh", l, new[] { x }, Array.Empty<P.AttributeProto>());
            case Act.Softplus: return node("Softplus", l, new[] { x }, Array.Empty<P.AttributeProto>());
            case Act.LeakyReLU: return node("LeakyRelu", l, new[] { x }, new[] { Float("alpha", layer.Alpha) });
            case Act.ELU: return node("Elu", l, new[] { x }, new[] { Float("alpha", layer.Alpha) });
            case Act.PReLU:
                alpha();
                return node("PRelu", l, new[] { x, $"{l}.alpha" }, Array.Empty<P.AttributeProto>());
            case Act.SiLU:
            {
                string s = node("Sigmoid", l, new[] { x }, Array.Empty<P.AttributeProto>());
                return node("Mul", l, new[] { x, s }, Array.Empty<P.AttributeProto>());
            }
            case Act.GELU:
            {
                // ½·x·(1 + erf(x/√2)), as torch.onnx.export writes it before opset 20.
                string d = node("Div", l, new[] { x, constant($"{l}.sqrt2", MathF.Sqrt(2)) }, Array.Empty<P.AttributeProto>());
                string e = node("Erf", l, new[] { d }, Array.Empty<P.AttributeProto>());
                string a = node("Add", l, new[] { e, constant($"{l}.one", 1) }, Array.Empty<P.AttributeProto>());
                string m = node("Mul", l, new[] { x, a }, Array.Empty<P.AttributeProto>());
                return node("Mul", l, new[] { m, constant($"{l}.half", 0.5f) }, Array.Empty<P.AttributeProto>());
            }
            default:
                throw new ArgumentException($"Activation {layer.Activation} has no ONNX export.", nameof(layer));
        }
    }

    private static P.ValueInfoProto Value(string name, int features)
    {
        var shape = new P.TensorShapeProto();
        shape.Dim.Add(new P.TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new P.TensorShapeProto.Types.Dimension { DimValue = features });
        return new P.ValueInfoProto
        {
            Name = name,
            Type = new P.TypeProto { TensorType = new P.TypeProto.Types.Tensor { ElemType = (int)P.TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static P.AttributeProto Int(string name, long value) => new() { Name = name, Type = P.AttributeProto.Types.AttributeType.Int, I = value };
    private static P.AttributeProto Ints(string name, params long[] values)
    {
        var a = new P.AttributeProto { Name = name, Type = P.AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }
    private static P.AttributeProto Float(string name, float value) => new() { Name = name, Type = P.AttributeProto.Types.AttributeType.Float, F = value };
}
