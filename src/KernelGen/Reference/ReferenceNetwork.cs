using System;

namespace KernelGen.Reference;

/// <summary>
/// Whole-network oracle driven by a <see cref="NetworkInfo"/>: forward, loss and backward in double,
/// layer by layer with <see cref="ReferenceLayers"/>, reading and writing the canonical parameter layout.
/// </summary>
public static class ReferenceNetwork
{
    /// <summary>Result of a reference pass.</summary>
    /// <param name="Loss">Mean loss over the rows.</param>
    /// <param name="Gradients">∂L/∂parameters, canonical layout.</param>
    /// <param name="Outputs">Network outputs (probabilities for softmax networks), <c>rows × Outputs</c>.</param>
    public sealed record Result(double Loss, double[] Gradients, double[] Outputs);

    /// <summary>Forward only: the outputs of every layer, pre-activations kept for the backward pass.</summary>
    public static double[] Forward(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, int rows)
        => Run(info, parameters, inputs, rows, out _)[^1];

    /// <summary>Outputs as <c>Predict</c> returns them (softmax applied for classifiers).</summary>
    public static double[] Predict(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, int rows)
    {
        double[] y = Forward(info, parameters, inputs, rows);
        if (info.Loss != LossKind.SoftmaxCrossEntropy) return y;
        Span<int> zeros = new int[rows];
        return ReferenceLayers.SoftmaxCrossEntropy(y, rows, info.Outputs, zeros).probabilities;
    }

    /// <summary>
    /// Smallest |x| over the inputs of every ReLU (∞ when there is none). ReLU′ jumps at 0, so where a
    /// pre-activation lies within float rounding of 0 a float network and this oracle may legitimately
    /// take different sides of the kink; comparisons of gradients should skip such points.
    /// </summary>
    public static double DistanceToReLUKink(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, int rows)
    {
        Run(info, parameters, inputs, rows, out double[][] pre);
        double min = double.PositiveInfinity;
        for (int l = 0; l < info.Layers.Count; l++)
        {
            if (info.Layers[l].Kind != LayerKind.Activation || info.Layers[l].Activation != Act.ReLU) continue;
            foreach (double x in pre[l]) min = Math.Min(min, Math.Abs(x));
        }
        return min;
    }

    /// <summary>Loss and gradients for integer labels (softmax cross-entropy).</summary>
    public static Result Classify(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels)
    {
        if (info.Loss != LossKind.SoftmaxCrossEntropy) throw new ArgumentException("The network's loss is not softmax cross-entropy.", nameof(info));
        int rows = labels.Length;
        double[][] acts = Run(info, parameters, inputs, rows, out double[][] pre);
        var (loss, d, p) = ReferenceLayers.SoftmaxCrossEntropy(acts[^1], rows, info.Outputs, labels);
        return new Result(loss, Backward(info, parameters, acts, pre, d, rows), p);
    }

    /// <summary>Loss and gradients for float targets (mean squared error).</summary>
    public static Result Regress(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        if (info.Loss != LossKind.MeanSquaredError) throw new ArgumentException("The network's loss is not mean squared error.", nameof(info));
        int rows = targets.Length / info.Outputs;
        double[][] acts = Run(info, parameters, inputs, rows, out double[][] pre);
        var (loss, d) = ReferenceLayers.MeanSquaredError(acts[^1], rows, info.Outputs, targets);
        return new Result(loss, Backward(info, parameters, acts, pre, d, rows), acts[^1]);
    }

    private static double[][] Run(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, int rows, out double[][] preActivations)
    {
        int count = info.Layers.Count;
        var acts = new double[count + 1][];
        preActivations = new double[count][];
        acts[0] = new double[rows * info.Inputs];
        for (int i = 0; i < acts[0].Length; i++) acts[0][i] = inputs[i];
        for (int l = 0; l < count; l++)
        {
            LayerInfo layer = info.Layers[l];
            double[] x = acts[l];
            if (layer.Kind == LayerKind.Dense)
            {
                double[] w = parameters.Slice(layer.WeightOffset, layer.Inputs * layer.Outputs).ToArray();
                double[]? b = layer.HasBias ? parameters.Slice(layer.BiasOffset, layer.Outputs).ToArray() : null;
                acts[l + 1] = ReferenceLayers.DenseForward(x, rows, layer.Inputs, layer.Outputs, w, b);
                preActivations[l] = x;
            }
            else
            {
                preActivations[l] = x;
                var y = new double[x.Length];
                for (int i = 0; i < x.Length; i++) y[i] = ReferenceLayers.Activate(layer.Activation, x[i]);
                acts[l + 1] = y;
            }
        }
        return acts;
    }

    private static double[] Backward(NetworkInfo info, ReadOnlySpan<double> parameters, double[][] acts, double[][] pre, double[] dOut, int rows)
    {
        var grads = new double[info.ParameterCount];
        double[] d = dOut;
        for (int l = info.Layers.Count - 1; l >= 0; l--)
        {
            LayerInfo layer = info.Layers[l];
            if (layer.Kind == LayerKind.Dense)
            {
                double[] w = parameters.Slice(layer.WeightOffset, layer.Inputs * layer.Outputs).ToArray();
                var (dw, db, dx) = ReferenceLayers.DenseBackward(acts[l], d, rows, layer.Inputs, layer.Outputs, w);
                dw.CopyTo(grads, layer.WeightOffset);
                if (layer.HasBias) db.CopyTo(grads, layer.BiasOffset);
                d = dx;
            }
            else
            {
                var dx = new double[d.Length];
                for (int i = 0; i < d.Length; i++) dx[i] = d[i] * ReferenceLayers.Derivative(layer.Activation, pre[l][i]);
                d = dx;
            }
        }
        return grads;
    }
}
