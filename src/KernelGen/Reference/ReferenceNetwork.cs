using System;

namespace KernelGen.Reference;

/// <summary>
/// The readable oracle: a whole network in double precision, layer by layer from <see cref="NetworkInfo"/>,
/// written from the formulas in the course notes (seed deck 000) with no fusion, folding or vectors.
/// </summary>
public static class ReferenceNetwork
{
    /// <summary>Loss, gradient of every parameter (canonical layout), the outputs (probabilities for a classifier),
    /// and each batch norm's batch mean then biased batch variance (training mode; laid out as the running statistics).</summary>
    public sealed record Result(double Loss, double[] Gradients, double[] Outputs, double[] BatchStatistics);

    /// <summary>
    /// How to run: <paramref name="Training"/> = batch statistics for batch norm and dropout on (when
    /// <paramref name="Dropout"/>); otherwise <paramref name="RunningStatistics"/> (mean then variance per batch norm,
    /// default mean 0 and variance 1) and no dropout. Dropout masks come from (<paramref name="Seed"/>, <paramref name="Step"/>, layer position).
    /// </summary>
    public sealed record Options(bool Training = true, bool Dropout = true, int Seed = 0, long Step = 0, double[]? RunningStatistics = null)
    {
        /// <summary>Inference: running statistics, no dropout.</summary>
        public static Options Inference(double[]? runningStatistics = null) => new(false, false, 0, 0, runningStatistics);
    }

    /// <summary>Outputs of the last layer (before softmax).</summary>
    public static double[] Forward(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, int rows, Options? options = null)
        => Run(info, parameters, inputs, rows, options ?? new Options(), out _).Activations[^1];

    /// <summary>What Predict returns: inference mode (running statistics, no dropout); probabilities for a classifier.</summary>
    public static double[] Predict(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, int rows, double[]? runningStatistics = null)
    {
        double[] y = Forward(info, parameters, inputs, rows, Options.Inference(runningStatistics));
        if (info.Loss != LossKind.SoftmaxCrossEntropy) return y;
        Span<int> zeros = new int[rows];
        return ReferenceLayers.SoftmaxCrossEntropy(y, rows, info.Outputs, zeros).probabilities;
    }

    /// <summary>
    /// Smallest distance of any pre-activation from a kink (ReLU, LeakyReLU, PReLU, ELU at 0) or between the two
    /// largest maxout pieces: within float rounding of it, float and double may take different branches.
    /// </summary>
    public static double DistanceToKink(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, int rows, Options? options = null)
    {
        var (acts, _) = Run(info, parameters, inputs, rows, options ?? new Options(), out _);
        double min = double.PositiveInfinity;
        for (int l = 0; l < info.Layers.Count; l++)
        {
            LayerInfo layer = info.Layers[l];
            if (layer.Kind == LayerKind.Activation && layer.Activation is Act.ReLU or Act.LeakyReLU or Act.PReLU or Act.ELU)
            {
                foreach (double x in acts[l]) min = Math.Min(min, Math.Abs(x));
            }
            else if (layer.Kind == LayerKind.Maxout)
            {
                int n = layer.Outputs, k = layer.Pieces;
                for (int r = 0; r < rows; r++)
                    for (int u = 0; u < n; u++)
                    {
                        double best = double.NegativeInfinity, second = double.NegativeInfinity;
                        for (int j = 0; j < k; j++)
                        {
                            double v = acts[l][r * n * k + j * n + u];
                            if (v > best) { second = best; best = v; }
                            else if (v > second) second = v;
                        }
                        min = Math.Min(min, best - second);
                    }
            }
        }
        return min;
    }

    /// <summary>Softmax cross-entropy loss and gradients for a classifier.</summary>
    public static Result Classify(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, Options? options = null)
    {
        if (info.Loss != LossKind.SoftmaxCrossEntropy) throw new ArgumentException("The network's loss is not softmax cross-entropy.", nameof(info));
        int rows = labels.Length;
        Options o = options ?? new Options();
        var (acts, stats) = Run(info, parameters, inputs, rows, o, out double[] batch);
        var (loss, d, p) = ReferenceLayers.SoftmaxCrossEntropy(acts[^1], rows, info.Outputs, labels);
        return new Result(loss, Backward(info, parameters, acts, stats, d, rows, o), p, batch);
    }

    /// <summary>Mean squared error loss and gradients for a regressor.</summary>
    public static Result Regress(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, Options? options = null)
    {
        if (info.Loss != LossKind.MeanSquaredError) throw new ArgumentException("The network's loss is not mean squared error.", nameof(info));
        int rows = targets.Length / info.Outputs;
        Options o = options ?? new Options();
        var (acts, stats) = Run(info, parameters, inputs, rows, o, out double[] batch);
        var (loss, d) = ReferenceLayers.MeanSquaredError(acts[^1], rows, info.Outputs, targets);
        return new Result(loss, Backward(info, parameters, acts, stats, d, rows, o), acts[^1], batch);
    }

    private static double Running(Options o, LayerInfo layer, int index, bool variance)
        => o.RunningStatistics is { } s ? s[layer.StatisticsOffset + (variance ? layer.Outputs : 0) + index] : variance ? 1.0 : 0.0;

    /// <summary>Inverted dropout of layer <paramref name="position"/>: kept values × 1/(1 − p), the rest 0; a copy when off.</summary>
    private static double[] Dropout(Options o, LayerInfo layer, int position, double[] values)
    {
        if (!(o.Training && o.Dropout)) return (double[])values.Clone();
        ulong key = ReferenceDropout.Key(o.Seed, o.Step, position); // the documented formula, not the runtime's mask code
        double scale = 1.0 / (1.0 - layer.Rate);
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = ReferenceDropout.Keep(i, key, layer.Rate) ? values[i] * scale : 0;
        return result;
    }

    /// <summary>acts[l] is the input of layer l (acts[^1] the output); stats[l] is batch norm's (mean, 1/σ) per feature, layer norm's per row.</summary>
    private static (double[][] Activations, (double[] Mean, double[] InvStd)?[] Stats) Run(NetworkInfo info, ReadOnlySpan<double> parameters, ReadOnlySpan<float> inputs, int rows, Options o, out double[] batchStatistics)
    {
        int count = info.Layers.Count;
        var acts = new double[count + 1][];
        var stats = new (double[] Mean, double[] InvStd)?[count];
        batchStatistics = new double[info.StatisticsCount];
        acts[0] = new double[rows * info.Inputs];
        for (int i = 0; i < acts[0].Length; i++) acts[0][i] = inputs[i];
        for (int l = 0; l < count; l++)
        {
            LayerInfo layer = info.Layers[l];
            double[] x = acts[l];
            int n = layer.Outputs;
            var y = new double[rows * n];
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                {
                    double[] w = parameters.Slice(layer.WeightOffset, layer.Inputs * layer.Outputs).ToArray();
                    double[]? b = layer.HasBias ? parameters.Slice(layer.BiasOffset, layer.Outputs).ToArray() : null;
                    y = ReferenceLayers.DenseForward(x, rows, layer.Inputs, layer.Outputs, w, b);
                    break;
                }
                case LayerKind.Activation:
                    for (int r = 0; r < rows; r++)
                        for (int u = 0; u < n; u++)
                        {
                            double alpha = layer.Activation == Act.PReLU ? parameters[layer.WeightOffset + u] : layer.Alpha;
                            y[r * n + u] = ReferenceActivations.Activate(layer.Activation, x[r * n + u], alpha);
                        }
                    break;
                case LayerKind.BatchNorm:
                {
                    // y = γ(x − μ)/√(σ² + ε) + β with the batch's μ, σ² (biased) in training, the running ones otherwise.
                    var mean = new double[n];
                    var inv = new double[n];
                    for (int u = 0; u < n; u++)
                    {
                        double m, v;
                        if (o.Training)
                        {
                            m = 0;
                            for (int r = 0; r < rows; r++) m += x[r * n + u];
                            m /= rows;
                            v = 0;
                            for (int r = 0; r < rows; r++) v += (x[r * n + u] - m) * (x[r * n + u] - m);
                            v /= rows;
                            batchStatistics[layer.StatisticsOffset + u] = m;
                            batchStatistics[layer.StatisticsOffset + n + u] = v;
                        }
                        else
                        {
                            m = Running(o, layer, u, false);
                            v = Running(o, layer, u, true);
                        }
                        mean[u] = m;
                        inv[u] = 1 / Math.Sqrt(v + layer.Epsilon);
                        for (int r = 0; r < rows; r++)
                            y[r * n + u] = parameters[layer.WeightOffset + u] * (x[r * n + u] - m) * inv[u] + parameters[layer.BiasOffset + u];
                    }
                    stats[l] = (mean, inv);
                    break;
                }
                case LayerKind.LayerNorm:
                {
                    // Each row over its own features, the same in training and inference (no running statistics).
                    double[] gamma = parameters.Slice(layer.WeightOffset, n).ToArray();
                    double[] beta = parameters.Slice(layer.BiasOffset, n).ToArray();
                    var (ln, mean, inv) = ReferenceLayers.LayerNormForward(x, rows, n, gamma, beta, layer.Epsilon);
                    y = ln;
                    stats[l] = (mean, inv);
                    break;
                }
                case LayerKind.Dropout:
                    y = Dropout(o, layer, l, x);
                    break;
                case LayerKind.Maxout:
                {
                    int k = layer.Pieces;
                    for (int r = 0; r < rows; r++)
                        for (int u = 0; u < n; u++)
                        {
                            double best = double.NegativeInfinity;
                            for (int j = 0; j < k; j++) best = Math.Max(best, x[r * n * k + j * n + u]);
                            y[r * n + u] = best;
                        }
                    break;
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(info), layer.Kind, "Unknown layer kind.");
            }
            acts[l + 1] = y;
        }
        return (acts, stats);
    }

    private static double[] Backward(NetworkInfo info, ReadOnlySpan<double> parameters, double[][] acts, (double[] Mean, double[] InvStd)?[] stats, double[] dOut, int rows, Options o)
    {
        var grads = new double[info.ParameterCount];
        double[] d = dOut;
        for (int l = info.Layers.Count - 1; l >= 0; l--)
        {
            LayerInfo layer = info.Layers[l];
            double[] x = acts[l];
            int n = layer.Outputs;
            var dx = new double[x.Length];
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                {
                    double[] w = parameters.Slice(layer.WeightOffset, layer.Inputs * layer.Outputs).ToArray();
                    var (dw, db, dInput) = ReferenceLayers.DenseBackward(x, d, rows, layer.Inputs, layer.Outputs, w);
                    dw.CopyTo(grads, layer.WeightOffset);
                    if (layer.HasBias) db.CopyTo(grads, layer.BiasOffset);
                    dx = dInput;
                    break;
                }
                case LayerKind.Activation:
                    for (int r = 0; r < rows; r++)
                        for (int u = 0; u < n; u++)
                        {
                            int i = r * n + u;
                            double alpha = layer.Activation == Act.PReLU ? parameters[layer.WeightOffset + u] : layer.Alpha;
                            dx[i] = d[i] * ReferenceActivations.Derivative(layer.Activation, x[i], alpha);
                            // PReLU: ∂y/∂α = x where x ≤ 0.
                            if (layer.Activation == Act.PReLU && x[i] <= 0) grads[layer.WeightOffset + u] += d[i] * x[i];
                        }
                    break;
                case LayerKind.BatchNorm:
                {
                    var (mean, inv) = stats[l]!.Value;
                    for (int u = 0; u < n; u++)
                    {
                        double gamma = parameters[layer.WeightOffset + u], sumD = 0, sumDX = 0;
                        for (int r = 0; r < rows; r++)
                        {
                            double xhat = (x[r * n + u] - mean[u]) * inv[u];
                            sumD += d[r * n + u];
                            sumDX += d[r * n + u] * xhat;
                        }
                        grads[layer.WeightOffset + u] = sumDX;
                        grads[layer.BiasOffset + u] = sumD;
                        for (int r = 0; r < rows; r++)
                        {
                            double xhat = (x[r * n + u] - mean[u]) * inv[u];
                            // Training: μ and σ depend on x, dx = γ/σ·(d − mean(d) − x̂·mean(d·x̂)); inference: γ/σ·d.
                            dx[r * n + u] = o.Training
                                ? gamma * inv[u] * (d[r * n + u] - sumD / rows - xhat * sumDX / rows)
                                : gamma * inv[u] * d[r * n + u];
                        }
                    }
                    break;
                }
                case LayerKind.LayerNorm:
                {
                    var (mean, inv) = stats[l]!.Value;
                    double[] gamma = parameters.Slice(layer.WeightOffset, n).ToArray();
                    var (dGamma, dBeta, dInput) = ReferenceLayers.LayerNormBackward(x, d, rows, n, gamma, mean, inv);
                    dGamma.CopyTo(grads, layer.WeightOffset);
                    dBeta.CopyTo(grads, layer.BiasOffset);
                    dx = dInput;
                    break;
                }
                case LayerKind.Dropout:
                    dx = Dropout(o, layer, l, d); // the same mask scales the gradient
                    break;
                case LayerKind.Maxout:
                {
                    int k = layer.Pieces;
                    for (int r = 0; r < rows; r++)
                        for (int u = 0; u < n; u++)
                        {
                            int arg = 0;
                            for (int j = 1; j < k; j++)
                                if (x[r * n * k + j * n + u] > x[r * n * k + arg * n + u]) arg = j;
                            dx[r * n * k + arg * n + u] = d[r * n + u];
                        }
                    break;
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(info), layer.Kind, "Unknown layer kind.");
            }
            d = dx;
        }
        return grads;
    }
}
