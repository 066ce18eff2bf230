using System;
using System.Linq;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using KernelGen.Reference;
using KernelGen.Runtime;

namespace KernelGen.Training;

/// <summary>How <see cref="GradientCheck"/> runs.</summary>
/// <param name="MaxEntriesPerTensor">Entries checked per parameter tensor: all of a smaller tensor, else a seeded random sample of this many (default 64).</param>
/// <param name="Step">h of the centred difference (L(θ + h) − L(θ − h)) / 2h, in double (default 1e-6: truncation error ~h²·L‴ ≈ 1e-12 and
/// rounding ~1e-16·L/h ≈ 1e-10, both far below the float analytic gradient's own ~1e-7 relative error).</param>
/// <param name="Seed">Seed of the sample of entries.</param>
/// <param name="L2">Coupled L2 weight decay λ of the network, if it has one: the oracle's loss gets + λ/2·‖W‖² over the dense weights
/// (the network's <c>Gradients</c> include λ·W; see docs/optimizers.md). Default 0.</param>
public sealed record GradientCheckOptions(int MaxEntriesPerTensor = 64, double Step = 1e-6, int Seed = 0, double L2 = 0);

/// <summary>
/// Verdict bands for the relative error ‖a − n‖ / (‖a‖ + ‖n‖), from the course notes (deck 003, "Checking your derivative
/// computation": "ε = 10⁻⁷ … ≈ 10⁻⁷ great! … 10⁻⁵ … 10⁻³ worry."): ≤ 1e-7 <see cref="Great"/>, ≤ 1e-5 <see cref="Good"/>,
/// &lt; 1e-3 <see cref="Doubtful"/> (float gradients of deep or saturated networks land here), ≥ 1e-3 <see cref="Bad"/>.
/// </summary>
public enum GradientVerdict
{
    /// <summary>Relative error ≤ 1e-7 ("great!").</summary>
    Great,
    /// <summary>Relative error ≤ 1e-5.</summary>
    Good,
    /// <summary>Relative error in (1e-5, 1e-3): acceptable for float, worth a look.</summary>
    Doubtful,
    /// <summary>Both gradients vanish (‖n‖ &lt; 1e-7 and ‖a‖ &lt; 1e-5 of the whole gradient's norm), e.g. a dense bias right before batch norm.</summary>
    Vanishing,
    /// <summary>Relative error ≥ 1e-3 ("worry"): a bug, or a kink crossed by ±h.</summary>
    Bad,
}

/// <summary>One parameter tensor's comparison.</summary>
/// <param name="Layer">0-based layer position in the attribute stack.</param>
/// <param name="Kind">The layer kind.</param>
/// <param name="Tensor"><c>weight</c>, <c>bias</c> (dense), <c>gamma</c>, <c>beta</c> (batch norm) or <c>alpha</c> (PReLU).</param>
/// <param name="Offset">Offset of the tensor in the canonical parameter block.</param>
/// <param name="Length">Entries in the tensor.</param>
/// <param name="Checked">Entries compared.</param>
/// <param name="RelativeError">‖a − n‖ / (‖a‖ + ‖n‖) over the checked entries (0 when both are 0).</param>
/// <param name="MaxAbsDifference">max |aᵢ − nᵢ|.</param>
/// <param name="AnalyticNorm">‖a‖ over the checked entries.</param>
/// <param name="NumericNorm">‖n‖ over the checked entries.</param>
/// <param name="Verdict">The band of <see cref="RelativeError"/> (see <see cref="GradientVerdict"/>).</param>
public sealed record GradientCheckEntry(int Layer, LayerKind Kind, string Tensor, int Offset, int Length, int Checked,
    double RelativeError, double MaxAbsDifference, double AnalyticNorm, double NumericNorm, GradientVerdict Verdict);

/// <summary>The result of <see cref="GradientCheck.Run(IClassifier, ReadOnlySpan{float}, ReadOnlySpan{int}, GradientCheckOptions?)"/>.</summary>
public sealed class GradientCheckReport
{
    internal GradientCheckReport(string network, int rows, bool training, double step, double networkLoss, double oracleLoss, double distanceToKink, IReadOnlyList<GradientCheckEntry> entries)
    {
        Network = network;
        Rows = rows;
        Training = training;
        Step = step;
        NetworkLoss = networkLoss;
        OracleLoss = oracleLoss;
        DistanceToKink = distanceToKink;
        Entries = entries;
    }

    /// <summary>The network's name.</summary>
    public string Network { get; }
    /// <summary>Rows of the batch.</summary>
    public int Rows { get; }
    /// <summary>The network's Training mode during the check.</summary>
    public bool Training { get; }
    /// <summary>h of the centred differences.</summary>
    public double Step { get; }
    /// <summary>Loss the network returned (float).</summary>
    public double NetworkLoss { get; }
    /// <summary>Loss of the double oracle at the same parameters (plus the L2 option's penalty): far from <see cref="NetworkLoss"/> means the two compute different functions.</summary>
    public double OracleLoss { get; }
    /// <summary>Smallest distance of a pre-activation from a kink (ReLU-like at 0, tied maxout pieces): below ~h, a centred difference may straddle it.</summary>
    public double DistanceToKink { get; }
    /// <summary>One entry per parameter tensor, in layer order.</summary>
    public IReadOnlyList<GradientCheckEntry> Entries { get; }

    /// <summary>True when no tensor is <see cref="GradientVerdict.Bad"/> (every relative error below 1e-3).</summary>
    public bool Passed
    {
        get
        {
            foreach (GradientCheckEntry e in Entries) if (e.Verdict == GradientVerdict.Bad) return false;
            return true;
        }
    }

    /// <summary>Largest relative error over the tensors whose gradient does not vanish (a vanishing one's ratio is noise over noise).</summary>
    public double MaxRelativeError
    {
        get
        {
            double m = 0;
            foreach (GradientCheckEntry e in Entries) if (e.Verdict != GradientVerdict.Vanishing) m = Math.Max(m, e.RelativeError);
            return m;
        }
    }

    /// <summary>A table: one line per tensor with its relative error, largest difference and verdict.</summary>
    public override string ToString()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"Gradient check of {Network}: {Rows} rows, Training = {Training}, h = {Step:E0}; loss {NetworkLoss:G7} (network) vs {OracleLoss:G7} (oracle); nearest kink {DistanceToKink:E2}").AppendLine();
        sb.AppendLine("layer  kind        tensor  checked        rel. error  max |a − n|  ‖a‖         verdict");
        foreach (GradientCheckEntry e in Entries)
            sb.Append(c, $"{e.Layer,5}  {e.Kind,-10}  {e.Tensor,-6}  {e.Checked + "/" + e.Length,-13}  {e.RelativeError,10:E2}  {e.MaxAbsDifference,11:E2}  {e.AnalyticNorm,10:E2}  {e.Verdict}").AppendLine();
        sb.Append(Passed ? "PASSED" : "FAILED").Append(c, $": worst relative error {MaxRelativeError:E2} (bands: ≤ 1e-7 great, ≤ 1e-5 good, < 1e-3 doubtful, ≥ 1e-3 bad; seed deck 003)");
        return sb.ToString();
    }
}

/// <summary>
/// Gradient checking as the course notes describe it (deck 003, "Checking your derivative computation" and "Gradient checking
/// implementation notes"): the network's own analytic gradient (its <c>ComputeGradients</c>, dropout off — "doesn't work with
/// dropout", keep-prob = 1) against centred differences (L(θ + h) − L(θ − h)) / 2h of the same function evaluated in double
/// by <see cref="ReferenceNetwork"/> (the network's <c>Info</c>, current parameters and running statistics, its Training mode), so
/// float rounding does not swamp the difference. Compared per parameter tensor ("look at components to identify the bug").
/// <para>Leaves the network as it was: parameters, <c>Gradients</c> (saved and restored), <c>Step</c>, running statistics,
/// <c>Training</c> and <c>DropoutEnabled</c>. One effect remains: with batch norm in training mode, the batch statistics a
/// previous <c>ComputeGradients</c> left for the next <c>ApplyUpdate</c> to fold into the running ones are discarded (the check
/// ends with an inference-mode pass for that) — run it between steps, not between ComputeGradients and ApplyUpdate.
/// Debugging only ("don't use in training"): it allocates.</para>
/// </summary>
public static class GradientCheck
{
    /// <summary>Checks a classifier on <paramref name="inputs"/> (<c>rows × InputSize</c>) and <paramref name="labels"/> (<c>rows</c>, 1 ≤ rows ≤ BatchSize).</summary>
    public static GradientCheckReport Run(IClassifier net, ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        NetworkInfo info = net.Info;
        float[] x = inputs.ToArray();
        int[] y = labels.ToArray();
        return Core(net, options, x, labels.Length, () => net.ComputeGradients(x, y),
            (p, o) =>
            {
                double[] logits = ReferenceNetwork.Forward(info, p, x, y.Length, o);
                return ReferenceLayers.SoftmaxCrossEntropy(logits, y.Length, info.Outputs, y).loss;
            });
    }

    /// <summary>Checks a regressor on <paramref name="inputs"/> (<c>rows × InputSize</c>) and <paramref name="targets"/> (<c>rows × OutputSize</c>).</summary>
    public static GradientCheckReport Run(IRegressor net, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        NetworkInfo info = net.Info;
        float[] x = inputs.ToArray();
        float[] t = targets.ToArray();
        int rows = Guard.Rows(t.Length, info.Outputs, nameof(targets), "OutputSize");
        return Core(net, options, x, rows, () => net.ComputeGradients(x, t),
            (p, o) => ReferenceLayers.MeanSquaredError(ReferenceNetwork.Forward(info, p, x, rows, o), rows, info.Outputs, t).loss);
    }

    private static GradientCheckReport Core(INetwork net, GradientCheckOptions? options, float[] inputs, int rows, Func<float> computeGradients, Func<double[], ReferenceNetwork.Options, double> dataLoss)
    {
        GradientCheckOptions o = options ?? new GradientCheckOptions();
        if (o.MaxEntriesPerTensor < 1) throw new ArgumentOutOfRangeException(nameof(options), o.MaxEntriesPerTensor, "MaxEntriesPerTensor must be ≥ 1.");
        if (!(o.Step > 0 && double.IsFinite(o.Step))) throw new ArgumentOutOfRangeException(nameof(options), o.Step, "Step must be a finite value > 0.");
        if (!(o.L2 >= 0 && double.IsFinite(o.L2))) throw new ArgumentOutOfRangeException(nameof(options), o.L2, "L2 must be a finite value ≥ 0.");
        NetworkInfo info = net.Info;
        float[] savedGradients = net.Gradients.ToArray();
        float[] savedStatistics = net.RunningStatistics.ToArray();
        bool training = net.Training, dropout = net.DropoutEnabled;
        float[] analytic;
        float networkLoss;
        try
        {
            net.DropoutEnabled = false;
            networkLoss = computeGradients(); // validates the arguments before any state changes
            analytic = net.Gradients.ToArray();
            if (training && info.StatisticsCount > 0)
            {
                // Discard the batch statistics this pass left pending for ApplyUpdate: an inference-mode pass clears them.
                net.Training = false;
                computeGradients();
            }
        }
        finally
        {
            net.Training = training;
            net.DropoutEnabled = dropout;
            savedGradients.CopyTo(net.Gradients);
            if (!net.RunningStatistics.SequenceEqual(savedStatistics)) savedStatistics.CopyTo(net.RunningStatistics);
        }

        double[] p = new double[info.ParameterCount];
        ReadOnlySpan<float> parameters = net.Parameters;
        for (int i = 0; i < p.Length; i++) p[i] = parameters[i];
        double[] statistics = new double[savedStatistics.Length];
        for (int i = 0; i < statistics.Length; i++) statistics[i] = savedStatistics[i];
        var mode = new ReferenceNetwork.Options(training, Dropout: false, net.Seed, net.Step, statistics);
        double Loss(double[] q)
        {
            double l = dataLoss(q, mode);
            if (o.L2 > 0)
                foreach (TensorInfo t in info.Tensors)
                    if (t.WeightDecay)
                        for (int i = 0; i < t.Length; i++) l += 0.5 * o.L2 * q[t.Offset + i] * q[t.Offset + i];
            return l;
        }

        double oracleLoss = Loss(p);
        double scale = 0;
        foreach (float g in analytic) scale += (double)g * g;
        scale = Math.Sqrt(scale);
        var entries = new List<GradientCheckEntry>();
        for (int l = 0; l < info.Layers.Count; l++)
        {
            LayerInfo layer = info.Layers[l];
            // The layer's trained tensors from the network's tensor list; t (the sampling stream) is the position among them.
            TensorInfo[] tensors = info.Tensors.Where(x => x.Layer == l && x.Trainable).ToArray();
            for (int t = 0; t < tensors.Length; t++)
            {
                string name = tensors[t].Role.ToString().ToLowerInvariant();
                int offset = tensors[t].Offset, length = tensors[t].Length;
                if (length == 0) continue;
                int[] sample = Sample(length, o.MaxEntriesPerTensor, new Rng(o.Seed, 2 * l + t));
                double diff = 0, na = 0, nn = 0, maxAbs = 0;
                foreach (int s in sample)
                {
                    int i = offset + s;
                    double saved = p[i];
                    p[i] = saved + o.Step;
                    double plus = Loss(p);
                    p[i] = saved - o.Step;
                    double minus = Loss(p);
                    p[i] = saved;
                    double numeric = (plus - minus) / (2 * o.Step), a = analytic[i];
                    diff += (a - numeric) * (a - numeric);
                    na += a * a;
                    nn += numeric * numeric;
                    maxAbs = Math.Max(maxAbs, Math.Abs(a - numeric));
                }
                na = Math.Sqrt(na);
                nn = Math.Sqrt(nn);
                double rel = na + nn == 0 ? 0 : Math.Sqrt(diff) / (na + nn);
                GradientVerdict verdict = nn < 1e-7 * scale && na < 1e-5 * scale ? GradientVerdict.Vanishing
                    : rel <= 1e-7 ? GradientVerdict.Great
                    : rel <= 1e-5 ? GradientVerdict.Good
                    : rel < 1e-3 ? GradientVerdict.Doubtful
                    : GradientVerdict.Bad;
                entries.Add(new GradientCheckEntry(l, layer.Kind, name, offset, length, sample.Length, rel, maxAbs, na, nn, verdict));
            }
        }
        double kink = ReferenceNetwork.DistanceToKink(info, p, inputs, rows, mode);
        return new GradientCheckReport(info.Name, rows, training, o.Step, networkLoss, oracleLoss, kink, entries);
    }

    /// <summary>All indices of a tensor of at most <paramref name="max"/> entries, else <paramref name="max"/> distinct ones (partial Fisher–Yates), sorted.</summary>
    private static int[] Sample(int length, int max, Rng rng)
    {
        var all = new int[length];
        for (int i = 0; i < length; i++) all[i] = i;
        if (length <= max) return all;
        for (int i = 0; i < max; i++)
        {
            int j = i + rng.NextInt(length - i);
            (all[i], all[j]) = (all[j], all[i]);
        }
        int[] s = all.AsSpan(0, max).ToArray();
        Array.Sort(s);
        return s;
    }
}
