using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using P = global::Onnx;

namespace KernelGen.Onnx;

public static partial class OnnxImport
{
    private sealed partial class Reader
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
}
