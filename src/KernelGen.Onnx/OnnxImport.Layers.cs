using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using KernelGen.IO;
using P = global::Onnx;

namespace KernelGen.Onnx;

public static partial class OnnxImport
{
    private sealed partial class Reader
    {
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
    }
}
