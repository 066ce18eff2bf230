using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Google.Protobuf;
using KernelGen.IO;
using P = global::Onnx;

namespace KernelGen.Onnx;

/// <summary>The result of <see cref="OnnxImport.Read"/>: the declaration, the network it describes and its weights.</summary>
/// <param name="ClassName">The class declared.</param>
/// <param name="Source">The C# file: the attribute declaration, each attribute commented with its ONNX node(s).</param>
/// <param name="Info">The network the declaration describes (offsets as the generator lays them out).</param>
/// <param name="Weights">The weights and running statistics under checkpoint names (<see cref="Checkpoint.Tensors"/>).</param>
public sealed record ImportedModel(string ClassName, string Source, NetworkInfo Info, IReadOnlyList<SafeTensor> Weights)
{
    /// <summary>Writes <c>ClassName.cs</c> and <c>ClassName.safetensors</c> into <paramref name="directory"/>; returns both paths.</summary>
    public (string Declaration, string WeightsFile) Write(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        string cs = Path.Combine(directory, ClassName + ".cs"), st = Path.Combine(directory, ClassName + ".safetensors");
        SafeTensors.Save(st, Weights, new Dictionary<string, string>
        {
            ["format"] = "kernelgen.weights",
            ["network"] = ClassName,
            ["layers"] = Checkpoint.Signature(Info),
        });
        byte[] text = new UTF8Encoding(false).GetBytes(Source);
        AtomicFile.Write(cs, s => s.Write(text));
        return (cs, st);
    }
}

/// <summary>
/// Turns an ONNX feed-forward network (as <c>torch.onnx.export</c> writes them, opsets 7 to 20) into a KernelGen
/// attribute declaration and its weights. Every problem is an <see cref="InvalidDataException"/> naming the file, the
/// node, its op type and what was expected; nothing is written before the whole graph has been read.
/// </summary>
public static class OnnxImport
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

    private sealed class Reader(string path, P.ModelProto model, string className, string? ns, int? batchOption)
    {
        private readonly P.GraphProto _g = model.Graph;
        private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<P.NodeProto>> _consumers = new(StringComparer.Ordinal);
        private readonly HashSet<P.NodeProto> _done = new();
        private readonly List<Layer> _layers = new();
        private int _features;
        private string _head = "[MeanSquaredError]";
        private string _headComment = "no Softmax at the end: Predict writes the graph's outputs (the loss is a choice for training)";

        private InvalidDataException NodeError(P.NodeProto n, string message) =>
            Bad(path, $"node '{n.Name}' ({n.OpType}): {message}");

        public ImportedModel Run()
        {
            int opset = -1;
            foreach (P.OperatorSetIdProto o in model.OpsetImport)
                if (o.Domain is "" or "ai.onnx") opset = (int)o.Version;
            if (opset < 0) throw Bad(path, "the model imports no default-domain (ai.onnx) opset.");
            if (opset > MaxOpset) throw Bad(path, $"opset {opset} is newer than supported (opsets {MinOpset} to {MaxOpset}); re-export with opset_version ≤ {MaxOpset}.");
            if (opset < MinOpset) throw Bad(path, $"opset {opset} is older than supported (opsets {MinOpset} to {MaxOpset}).");

            foreach (P.TensorProto t in _g.Initializer) _constants[t.Name] = Decode(t, $"initializer '{t.Name}'");
            foreach (P.NodeProto n in _g.Node)
            {
                if (n.Domain is not ("" or "ai.onnx")) throw NodeError(n, $"op domain '{n.Domain}' is not supported. Supported: {Supported}.");
                if (n.OpType == "Constant")
                {
                    P.AttributeProto? value = n.Attribute.FirstOrDefault(a => a.Name == "value");
                    if (value?.T is null) throw NodeError(n, "only Constant nodes with a 'value' tensor are supported.");
                    _constants[n.Output[0]] = Decode(value.T, $"node '{n.Name}'");
                    _done.Add(n);
                    continue;
                }
                foreach (string name in n.Input)
                {
                    if (!_consumers.TryGetValue(name, out List<P.NodeProto>? list)) _consumers[name] = list = new();
                    list.Add(n);
                }
            }
            P.ValueInfoProto[] inputs = _g.Input.Where(i => !_constants.ContainsKey(i.Name)).ToArray();
            if (inputs.Length != 1) throw Bad(path, $"the graph has {inputs.Length} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); a KernelGen network has one.");
            if (_g.Output.Count != 1) throw Bad(path, $"the graph has {_g.Output.Count} outputs; a KernelGen network has one.");
            P.ValueInfoProto input = inputs[0];
            (int batch, string inputComment) = InputShape(input);

            string x = input.Name;
            while (true)
            {
                List<P.NodeProto> next = Consumers(x);
                if (next.Count == 0) break;
                x = Step(x, next);
            }
            if (x != _g.Output[0].Name) throw Bad(path, $"the chain from the input ends at '{x}', not at the graph output '{_g.Output[0].Name}'.");
            P.NodeProto? left = _g.Node.FirstOrDefault(n => !_done.Contains(n));
            if (left is not null) throw NodeError(left, $"not on the chain from the input to the output (a KernelGen network is one chain). Supported: {Supported}.");
            if (!_layers.Any(l => l.Info.Kind == LayerKind.Dense)) throw Bad(path, "the graph has no Gemm or MatMul: nothing to import.");
            return Build(batch, inputComment, opset);
        }

        private List<P.NodeProto> Consumers(string value) =>
            _consumers.TryGetValue(value, out List<P.NodeProto>? list) ? list.Where(n => !_done.Contains(n)).Distinct().ToList() : new();

        private (int Batch, string Comment) InputShape(P.ValueInfoProto input)
        {
            P.TensorShapeProto? shape = input.Type?.TensorType?.Shape;
            if (input.Type?.TensorType is null || shape is null || shape.Dim.Count < 2)
                throw Bad(path, $"graph input '{input.Name}' has no shape of rank ≥ 2 ([batch, features]).");
            if (input.Type.TensorType.ElemType != (int)P.TensorProto.Types.DataType.Float)
                throw Bad(path, $"graph input '{input.Name}' is of element type {(P.TensorProto.Types.DataType)input.Type.TensorType.ElemType}; expected FLOAT.");
            long features = 1;
            foreach (P.TensorShapeProto.Types.Dimension d in shape.Dim.Skip(1))
            {
                if (d.ValueCase != P.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || d.DimValue <= 0)
                    throw Bad(path, $"graph input '{input.Name}' has a dynamic feature dimension ('{d.DimParam}'); only the batch dimension may be dynamic.");
                features *= d.DimValue;
            }
            _features = checked((int)features);
            if (shape.Dim.Count > 2) _features = -checked((int)features); // must be flattened before the first layer
            P.TensorShapeProto.Types.Dimension b = shape.Dim[0];
            string dims = string.Join(", ", shape.Dim.Select(d => d.ValueCase == P.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString(CultureInfo.InvariantCulture) : (d.DimParam.Length > 0 ? d.DimParam : "?")));
            string comment = $"graph input '{input.Name}' [{dims}]";
            if (batchOption is int given) return (given, comment + (b.ValueCase == P.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? $"; BatchSize from --batch (the file says {b.DimValue})" : "; BatchSize from --batch"));
            if (b.ValueCase == P.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && b.DimValue > 0)
                return (checked((int)b.DimValue), comment);
            throw Bad(path, $"graph input '{input.Name}' has a dynamic batch dimension ('{(b.DimParam.Length > 0 ? b.DimParam : "?")}'); pass --batch B (the BatchSize the kernels are specialised to; Predict takes any number of rows).");
        }

        private Tensor Constant(P.NodeProto n, int index, string what)
        {
            if (index >= n.Input.Count || n.Input[index].Length == 0) throw NodeError(n, $"has no {what} input.");
            if (!_constants.TryGetValue(n.Input[index], out Tensor? t))
                throw NodeError(n, $"{what} '{n.Input[index]}' is not an initializer or Constant; only the running value may be computed.");
            return t;
        }

        private static long IntAttr(P.NodeProto n, string name, long fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;
        private static float FloatAttr(P.NodeProto n, string name, float fallback) => n.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

        private void RequireFlat(P.NodeProto n)
        {
            if (_features < 0) throw NodeError(n, $"the input has more than two dimensions; Flatten or Reshape it to [batch, {-_features}] first.");
        }

        private string Step(string x, List<P.NodeProto> next)
        {
            if (next.Count == 2) return Pair(x, next);
            if (next.Count != 1) throw NodeError(next[0], $"'{x}' feeds {next.Count} nodes ({string.Join(", ", next.Select(n => $"'{n.Name}' {n.OpType}"))}); a KernelGen network is one chain.");
            P.NodeProto n = next[0];
            if (n.Input.Count == 0 || n.Input[0] != x)
            {
                if (!(n.OpType is "Mul" or "Add" && n.Input.Count == 2 && n.Input[1] == x) && n.OpType != "PRelu")
                    throw NodeError(n, $"takes '{x}' at an unexpected position.");
            }
            _done.Add(n);
            string y = n.Output[0];
            string comment = $"{n.Name} ({n.OpType})";
            switch (n.OpType)
            {
                case "Identity":
                    return y;
                case "Dropout":
                    if (n.Output.Count > 1 && n.Output[1].Length > 0 && Consumers(n.Output[1]).Count > 0) throw NodeError(n, "its mask is used; only inference-mode dropout (dropped) is supported.");
                    return y;
                case "Flatten":
                {
                    if (_layers.Count > 0) throw NodeError(n, "Flatten is supported at the input only.");
                    if (IntAttr(n, "axis", 1) != 1) throw NodeError(n, $"axis {IntAttr(n, "axis", 1)}; expected 1 ([batch, features]).");
                    _features = Math.Abs(_features);
                    return y;
                }
                case "Reshape":
                {
                    if (_layers.Count > 0) throw NodeError(n, "Reshape is supported at the input only.");
                    Tensor shape = Constant(n, 1, "shape");
                    int f = Math.Abs(_features);
                    if (shape.Count != 2 || shape.Values[0] is not (0 or -1) || !(shape.Values[1] == -1 || shape.Values[1] == f))
                        throw NodeError(n, $"shape {string.Join(", ", shape.Values)}; only [-1 or 0, {f} or -1] (flatten to [batch, features]) is supported.");
                    _features = f;
                    return y;
                }
                case "Gemm":
                {
                    RequireFlat(n);
                    if (IntAttr(n, "transA", 0) != 0) throw NodeError(n, "transA = 1 is not supported (the running value must be [batch, features]).");
                    bool transB = IntAttr(n, "transB", 0) != 0;
                    float alpha = FloatAttr(n, "alpha", 1), beta = FloatAttr(n, "beta", 1);
                    Tensor w = Constant(n, 1, "weight B");
                    float[]? bias = null;
                    int outputs = DenseOutputs(n, w, transB);
                    float[] weight = Weight(w, transB, alpha);
                    if (n.Input.Count > 2 && n.Input[2].Length > 0)
                        bias = Bias(n, Constant(n, 2, "bias C"), outputs, beta);
                    AddDense(weight, bias, outputs, comment);
                    return y;
                }
                case "MatMul":
                {
                    RequireFlat(n);
                    Tensor w = Constant(n, 1, "weight");
                    int outputs = DenseOutputs(n, w, transB: false);
                    float[] weight = Weight(w, transposed: false, 1);
                    float[]? bias = null;
                    List<P.NodeProto> after = Consumers(y);
                    if (after.Count == 1 && after[0].OpType == "Add")
                    {
                        P.NodeProto add = after[0];
                        int other = add.Input[0] == y ? 1 : 0;
                        if (_constants.ContainsKey(add.Input[other]))
                        {
                            bias = Bias(add, _constants[add.Input[other]], outputs, 1);
                            _done.Add(add);
                            y = add.Output[0];
                            comment += $" + {add.Name} (Add)";
                        }
                    }
                    AddDense(weight, bias, outputs, comment);
                    return y;
                }
                case "BatchNormalization":
                {
                    RequireFlat(n);
                    if (IntAttr(n, "training_mode", 0) != 0) throw NodeError(n, "training_mode = 1; only inference-mode batch norm is supported.");
                    string[] names = { "scale", "B", "input_mean", "input_var" };
                    var t = new float[4][];
                    for (int i = 0; i < 4; i++)
                    {
                        Tensor c = Constant(n, i + 1, names[i]);
                        if (c.Count != _features) throw NodeError(n, $"{names[i]} '{n.Input[i + 1]}' has shape {c.ShapeText}; expected [{_features}].");
                        t[i] = c.Values;
                    }
                    if (t[3].Any(v => v < 0)) throw NodeError(n, "input_var holds a negative variance.");
                    float eps = FloatAttr(n, "epsilon", 1e-5f), momentum = FloatAttr(n, "momentum", 0.9f);
                    AddLayer(new LayerInfo(LayerKind.BatchNorm, _features, _features, Act.Identity, Init.Zeros, false, 0, 0) { Momentum = momentum, Epsilon = eps },
                        $"[BatchNorm(Momentum = {F(momentum)}, Epsilon = {F(eps)})]", comment + $"; ONNX momentum {F(momentum)} = PyTorch 1 − momentum",
                        new() { ["weight"] = t[0], ["bias"] = t[1], ["running_mean"] = t[2], ["running_var"] = t[3] });
                    return y;
                }
                case "Relu": Activation(Act.ReLU, "[Activation(Act.ReLU)]", comment); return y;
                case "Sigmoid": Activation(Act.Sigmoid, "[Activation(Act.Sigmoid)]", comment); return y;
                case "Tanh": Activation(Act.Tanh, "[Activation(Act.Tanh)]", comment); return y;
                case "Softplus": Activation(Act.Softplus, "[Activation(Act.Softplus)]", comment); return y;
                case "LeakyRelu":
                {
                    float a = FloatAttr(n, "alpha", 0.01f);
                    Activation(Act.LeakyReLU, $"[Activation(Act.LeakyReLU, Alpha = {F(a)})]", comment, a);
                    return y;
                }
                case "Elu":
                {
                    float a = FloatAttr(n, "alpha", 1f);
                    Activation(Act.ELU, $"[Activation(Act.ELU, Alpha = {F(a)})]", comment, a);
                    return y;
                }
                case "Gelu":
                {
                    string approx = n.Attribute.FirstOrDefault(a => a.Name == "approximate")?.S.ToStringUtf8() ?? "none";
                    if (approx != "none") throw NodeError(n, $"approximate = '{approx}'; KernelGen's GELU is the exact (erf) form.");
                    Activation(Act.GELU, "[Activation(Act.GELU)]", comment);
                    return y;
                }
                case "PRelu":
                {
                    RequireFlat(n);
                    if (n.Input[0] != x) throw NodeError(n, "the slope must be the second input.");
                    Tensor slope = Constant(n, 1, "slope");
                    float[] alpha;
                    if (slope.Count == _features) alpha = slope.Values;
                    else if (slope.Count == 1) alpha = Enumerable.Repeat(slope.Values[0], _features).ToArray();
                    else throw NodeError(n, $"slope '{n.Input[1]}' has shape {slope.ShapeText}; expected [{_features}] or [1].");
                    AddLayer(new LayerInfo(LayerKind.Activation, _features, _features, Act.PReLU, Init.Zeros, false, 0, -1) { Alpha = alpha[0] },
                        "[Activation(Act.PReLU)]", comment + "; the learned slopes are in the weights file", new() { ["alpha"] = alpha });
                    return y;
                }
                case "Softmax":
                case "LogSoftmax":
                {
                    long axis = IntAttr(n, "axis", -1);
                    if (axis is not (-1 or 1)) throw NodeError(n, $"axis {axis}; expected the feature axis (1 or -1).");
                    if (Consumers(y).Count > 0 || y != _g.Output[0].Name) throw NodeError(n, $"{n.OpType} is supported at the end of the graph only.");
                    if (_layers.Count == 0 || _layers[^1].Info.Kind != LayerKind.Dense) throw NodeError(n, $"{n.OpType} must follow a Gemm/MatMul (KernelGen's softmax head sits on a dense layer).");
                    _head = "[SoftmaxCrossEntropy]";
                    _headComment = n.OpType == "Softmax"
                        ? $"{comment}: Predict writes the softmax probabilities"
                        : $"{comment}: Predict writes probabilities, the exp of this graph's log-probabilities";
                    return y;
                }
                default:
                    throw NodeError(n, $"op type '{n.OpType}' is not supported. Supported: {Supported}.");
            }
        }

        /// <summary>Two consumers of x: SiLU (Sigmoid + Mul) or GELU's erf pattern (Div + Mul).</summary>
        private string Pair(string x, List<P.NodeProto> next)
        {
            P.NodeProto? sigmoid = next.FirstOrDefault(n => n.OpType == "Sigmoid"), div = next.FirstOrDefault(n => n.OpType == "Div");
            P.NodeProto? mul = next.FirstOrDefault(n => n.OpType == "Mul" && n.Input.Count == 2);
            if (sigmoid is not null && mul is not null && Other(mul, x) == sigmoid.Output[0])
            {
                _done.Add(sigmoid);
                _done.Add(mul);
                Activation(Act.SiLU, "[Activation(Act.SiLU)]", $"{sigmoid.Name} (Sigmoid) · {mul.Name} (Mul): x·σ(x)");
                return mul.Output[0];
            }
            if (div is not null && mul is not null && div.Input[0] == x && _constants.TryGetValue(div.Input[1], out Tensor? root2)
                && root2.Count == 1 && Math.Abs(root2.Values[0] - MathF.Sqrt(2)) < 1e-5f)
            {
                P.NodeProto? erf = Single(div.Output[0], "Erf");
                P.NodeProto? add = erf is null ? null : Single(erf.Output[0], "Add");
                if (add is not null && IsScalar(Other(add, erf!.Output[0]), 1) && Other(mul, x) == add.Output[0])
                {
                    P.NodeProto? half = Single(mul.Output[0], "Mul");
                    if (half is not null && IsScalar(Other(half, mul.Output[0]), 0.5f))
                    {
                        foreach (P.NodeProto n in new[] { div, erf, add, mul, half }) _done.Add(n);
                        Activation(Act.GELU, "[Activation(Act.GELU)]", $"{div.Name} (Div) → {erf.Name} (Erf) → {add.Name} (Add) → {mul.Name} (Mul) → {half.Name} (Mul): ½x(1 + erf(x/√2))");
                        return half.Output[0];
                    }
                }
            }
            P.NodeProto first = next.FirstOrDefault(n => n.OpType is not ("Sigmoid" or "Mul" or "Div")) ?? next[0];
            throw NodeError(first, $"'{x}' feeds {string.Join(" and ", next.Select(n => $"'{n.Name}' ({n.OpType})"))}, which is neither SiLU (x·Sigmoid(x)) nor GELU's erf pattern. Supported: {Supported}.");
        }

        private P.NodeProto? Single(string value, string op)
        {
            List<P.NodeProto> c = Consumers(value);
            return c.Count == 1 && c[0].OpType == op ? c[0] : null;
        }

        private static string? Other(P.NodeProto n, string value) =>
            n.Input.Count != 2 ? null : n.Input[0] == value ? n.Input[1] : n.Input[1] == value ? n.Input[0] : null;

        private bool IsScalar(string? name, float value) =>
            name is not null && _constants.TryGetValue(name, out Tensor? t) && t.Count == 1 && t.Values[0] == value;

        private int DenseOutputs(P.NodeProto n, Tensor w, bool transB)
        {
            string expected = transB ? $"[outputs, {_features}] (transB = 1)" : $"[{_features}, outputs] (transB = 0)";
            if (w.Dims.Length != 2) throw NodeError(n, $"weight '{n.Input[1]}' has shape {w.ShapeText}; expected {expected}.");
            long inputs = transB ? w.Dims[1] : w.Dims[0], outputs = transB ? w.Dims[0] : w.Dims[1];
            if (inputs != _features || outputs <= 0) throw NodeError(n, $"weight '{n.Input[1]}' has shape {w.ShapeText}; expected {expected}.");
            return (int)outputs;
        }

        /// <summary>The canonical [outputs, inputs] weights, times alpha.</summary>
        private static float[] Weight(Tensor w, bool transposed, float alpha)
        {
            int a = (int)w.Dims[0], b = (int)w.Dims[1];
            var result = new float[a * b];
            if (transposed) for (int i = 0; i < result.Length; i++) result[i] = alpha * w.Values[i];
            else for (int i = 0; i < a; i++) for (int o = 0; o < b; o++) result[o * a + i] = alpha * w.Values[i * b + o];
            return result;
        }

        private float[] Bias(P.NodeProto n, Tensor c, int outputs, float beta)
        {
            bool rowVector = c.Dims.Length == 2 && c.Dims[0] == 1;
            if (c.Count == outputs && (c.Dims.Length == 1 || rowVector)) return c.Values.Select(v => beta * v).ToArray();
            if (c.Count == 1) return Enumerable.Repeat(beta * c.Values[0], outputs).ToArray();
            throw NodeError(n, $"bias '{c}' has shape {c.ShapeText}; expected [{outputs}], [1, {outputs}] or one value.");
        }

        private void AddDense(float[] weight, float[]? bias, int outputs, string comment)
        {
            var t = new Dictionary<string, float[]> { ["weight"] = weight };
            if (bias is not null) t["bias"] = bias;
            AddLayer(new LayerInfo(LayerKind.Dense, _features, outputs, Act.Identity, Init.XavierUniform, bias is not null, 0, bias is null ? -1 : 0),
                bias is null ? $"[Dense({outputs}, Bias = false)]" : $"[Dense({outputs})]", comment, t);
            _features = outputs;
        }

        private void Activation(Act act, string attribute, string comment, float alpha = 0)
        {
            if (_features < 0) throw Bad(path, $"{comment}: the input has more than two dimensions; Flatten it first.");
            AddLayer(new LayerInfo(LayerKind.Activation, _features, _features, act, Init.Zeros, false, -1, -1) { Alpha = alpha }, attribute, comment, new());
        }

        private void AddLayer(LayerInfo info, string attribute, string comment, Dictionary<string, float[]> tensors)
        {
            foreach ((string name, float[] v) in tensors)
            {
                int bad = Array.FindIndex(v, f => !float.IsFinite(f));
                if (bad >= 0) throw Bad(path, $"{comment}: {name} holds {v[bad]} at index {bad}; weights must be finite.");
            }
            _layers.Add(new Layer(info, attribute, comment, tensors));
        }

        private ImportedModel Build(int batch, string inputComment, int opset)
        {
            // Offsets as the generator lays them out: parameters in layer order, batch-norm statistics in layer order.
            var infos = new List<LayerInfo>();
            int p = 0, s = 0;
            foreach (Layer l in _layers)
            {
                LayerInfo i = l.Info;
                switch (i.Kind)
                {
                    case LayerKind.Dense:
                        i = i with { WeightOffset = p, BiasOffset = i.HasBias ? p + i.Inputs * i.Outputs : -1 };
                        break;
                    case LayerKind.BatchNorm:
                        i = i with { WeightOffset = p, BiasOffset = p + i.Outputs, StatisticsOffset = s };
                        s += 2 * i.Outputs;
                        break;
                    case LayerKind.Activation when i.Activation == Act.PReLU:
                        i = i with { WeightOffset = p };
                        break;
                }
                p += i.ParameterCount;
                infos.Add(i);
            }
            int inputs = infos[0].Inputs;
            var info = new NetworkInfo(className, inputs, batch, _head == "[SoftmaxCrossEntropy]" ? LossKind.SoftmaxCrossEntropy : LossKind.MeanSquaredError, 0.01f, infos);
            var weights = new List<SafeTensor>();
            foreach (CheckpointTensor t in Checkpoint.Tensors(info))
            {
                string suffix = t.Name.Substring(t.Name.IndexOf('.') + 1);
                weights.Add(SafeTensor.FromFloats(t.Name, t.Shape, _layers[t.Layer].Tensors[suffix]));
            }

            var rows = new List<(string Code, string Comment)>
            {
                ($"[Network(Inputs = {inputs}, BatchSize = {batch})]", inputComment),
            };
            foreach (Layer l in _layers) rows.Add((l.Attribute, l.Comment));
            rows.Add((_head, _headComment));
            rows.Add(("[Sgd(LearningRate = 0.01f)]", "not in the ONNX file: choose the optimizer before training further"));
            int width = rows.Max(r => r.Code.Length) + 2;
            var cs = new StringBuilder();
            string producer = model.ProducerName.Length > 0 ? $"{model.ProducerName} {model.ProducerVersion}".Trim() : "unknown producer";
            cs.Append("// <auto-generated> by kernelgen import from ").Append(Path.GetFileName(path)).Append(" (").Append(producer)
              .Append(", opset ").Append(opset).Append("). </auto-generated>\n");
            cs.Append("// Weights and running statistics: ").Append(className).Append(".safetensors; load them with\n");
            cs.Append("// KernelGen.IO.Checkpoint.LoadWeights(net, \"").Append(className).Append(".safetensors\").\n");
            cs.Append("using KernelGen;\n\n");
            if (ns is not null) cs.Append("namespace ").Append(ns).Append(";\n\n");
            foreach ((string code, string comment) in rows) cs.Append(code.PadRight(width)).Append("// ").Append(comment).Append('\n');
            cs.Append("public partial class ").Append(className).Append(";\n");
            return new ImportedModel(className, cs.ToString(), info, weights);
        }

        private Tensor Decode(P.TensorProto t, string what)
        {
            if (t.DataLocation == P.TensorProto.Types.DataLocation.External) throw Bad(path, $"{what} keeps its data in an external file; only embedded data is supported.");
            long[] dims = t.Dims.ToArray();
            long count = dims.Aggregate(1L, (a, b) => a * b);
            if (dims.Any(d => d < 0) || count > int.MaxValue) throw Bad(path, $"{what} has invalid dims [{string.Join(", ", dims)}].");
            var type = (P.TensorProto.Types.DataType)t.DataType;
            float[] values;
            ReadOnlySpan<byte> raw = t.RawData.Span;
            switch (type)
            {
                case P.TensorProto.Types.DataType.Float:
                    values = raw.Length > 0 ? Raw(raw, 4, count, what, (b) => BinaryPrimitives.ReadSingleLittleEndian(b)) : t.FloatData.ToArray();
                    break;
                case P.TensorProto.Types.DataType.Double:
                    values = raw.Length > 0 ? Raw(raw, 8, count, what, (b) => (float)BinaryPrimitives.ReadDoubleLittleEndian(b)) : t.DoubleData.Select(d => (float)d).ToArray();
                    break;
                case P.TensorProto.Types.DataType.Int64:
                    values = raw.Length > 0 ? Raw(raw, 8, count, what, (b) => BinaryPrimitives.ReadInt64LittleEndian(b)) : t.Int64Data.Select(v => (float)v).ToArray();
                    break;
                case P.TensorProto.Types.DataType.Int32:
                    values = raw.Length > 0 ? Raw(raw, 4, count, what, (b) => BinaryPrimitives.ReadInt32LittleEndian(b)) : t.Int32Data.Select(v => (float)v).ToArray();
                    break;
                default:
                    throw Bad(path, $"{what} is of type {type}; expected FLOAT (or DOUBLE, INT64, INT32 for shapes and scalars).");
            }
            if (values.Length != count) throw Bad(path, $"{what} has {values.Length} values for dims [{string.Join(", ", dims)}] ({count}).");
            return new Tensor(dims, values);
        }

        private delegate float ReadOne(ReadOnlySpan<byte> bytes);

        private float[] Raw(ReadOnlySpan<byte> raw, int size, long count, string what, ReadOne read)
        {
            if (raw.Length != count * size) throw Bad(path, $"{what} has {raw.Length} bytes of raw data; its dims need {count * size}.");
            var v = new float[count];
            for (int i = 0; i < v.Length; i++) v[i] = read(raw.Slice(i * size, size));
            return v;
        }
    }

    private static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture) + "f";
}
