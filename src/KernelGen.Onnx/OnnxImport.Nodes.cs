using System;
using System.Collections.Generic;
using System.Linq;
using P = global::Onnx;

namespace KernelGen.Onnx;

public static partial class OnnxImport
{
    private sealed partial class Reader
    {
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
    }
}
