using System;
using System.Collections.Generic;

namespace KernelGen.Generators.Model;

/// <summary>One computation step of the layout: a layer, plus the activation fused into it (if any).</summary>
internal sealed class LayoutNode
{
    public LayoutNode(int layer, int fused, long weight, long bias, long running, long folded, long packed, long trainingPacked, long output, long gradient, long mean, long derivative)
    {
        DerivativeOffset = derivative;
        PackedOffset = packed;
        TrainingPackedOffset = trainingPacked;
        Layer = layer;
        FusedActivation = fused;
        WeightOffset = weight;
        BiasOffset = bias;
        RunningOffset = running;
        FoldedOffset = folded;
        OutputOffset = output;
        GradientOffset = gradient;
        MeanOffset = mean;
    }

    /// <summary>Index of the layer in the spec's layer list.</summary>
    public int Layer { get; }
    /// <summary>Index of the activation fused into this node, or -1.</summary>
    public int FusedActivation { get; }
    /// <summary>Parameter offsets (dense W and b; batch and layer norm γ and β; PReLU α as W), -1 when absent.</summary>
    public long WeightOffset { get; }
    public long BiasOffset { get; }
    /// <summary>Batch norm: running mean then variance in the statistics block, -1 otherwise.</summary>
    public long RunningOffset { get; }
    /// <summary>Dense folded with the batch norm after it: offset of W′ (then b′) in the folded block, -1 otherwise.</summary>
    public long FoldedOffset { get; }
    /// <summary>Dense: offset of its packed inference weights in the folded block (bias padded to
    /// <see cref="NetworkLayout.PackedOutputs"/>, then panels of Wᵀ), -1 otherwise (also where the block would pass
    /// <see cref="NetworkLayout.MaxFloats"/>: such a layer keeps its canonical forward kernel for Predict).</summary>
    public long PackedOffset { get; }
    /// <summary>Dense with packed inference weights: offset of the packed copy of W and b (not folded) that the training
    /// forward reads, packed again with every update — the same region as <see cref="PackedOffset"/> where no batch norm
    /// folds in, a second one where it does; -1 where the block has no room (the training forward keeps its canonical kernel).</summary>
    public long TrainingPackedOffset { get; }
    /// <summary>Workspace offsets: output Y, the gradient D, and (batch norm) mean / 1/σ / σ² per feature, (layer norm) mean / 1/σ per row.</summary>
    public long OutputOffset { get; }
    public long GradientOffset { get; }
    public long MeanOffset { get; }
    /// <summary>Dense, batch norm or layer norm with GELU or SiLU fused: workspace offset of f′ at the pre-activation, [BatchSize × outputs], which the
    /// training forward's epilogue writes and the backward reads; -1 otherwise.</summary>
    public long DerivativeOffset { get; }
}

/// <summary>A size or offset that does not fit what the generated code supports.</summary>
internal readonly struct LayoutProblem
{
    public LayoutProblem(int layer, string what, long floats)
    {
        Layer = layer;
        What = what;
        Floats = floats;
    }

    /// <summary>Index of the layer in the spec's layer list, or -1 for a whole block.</summary>
    public int Layer { get; }
    public string What { get; }
    public long Floats { get; }
}

/// <summary>
/// The memory layout and fusion decisions of a network, computed once, in 64-bit arithmetic, from the layer
/// list. The parser reports its <see cref="Problems"/> as KG0012 / KG0013; the emitter's plan takes its
/// offsets from it (and never sees a layout with problems). This is the only place sizes and offsets are added up.
/// </summary>
internal sealed class NetworkLayout
{
    /// <summary>Every buffer and block starts on a 64-byte boundary: 16 floats.</summary>
    public const int AlignFloats = 16;

    /// <summary>The largest buffer, block or offset a network may have, in floats (4 GiB): the generated code
    /// holds offsets and lengths in <c>int</c> and adds at most two of them.</summary>
    public const long MaxFloats = 1L << 30;

    private readonly List<LayoutProblem> _problems = new();

    private NetworkLayout() { }

    public IReadOnlyList<LayoutNode> Nodes { get; private set; } = Array.Empty<LayoutNode>();
    public long ParameterCount { get; private set; }
    public long ParameterCapacity { get; private set; }
    public long StateLength { get; private set; }
    public long StatisticsCount { get; private set; }
    public long FoldedLength { get; private set; }
    public long ProbabilitiesOffset { get; private set; }
    public long WorkspaceLength { get; private set; }
    public IReadOnlyList<LayoutProblem> Problems => _problems;

    public static long RoundUp(long floats) => (floats + AlignFloats - 1) / AlignFloats * AlignFloats;

    /// <summary>The widest panel of the packed inference weights (two Vector512 of outputs): packed blocks pad the outputs
    /// to a multiple of it, which is a multiple of every narrower panel (16 for Vector256, 8 for Vector128).</summary>
    public const int PackedPanel = 32;

    /// <summary>A dense layer with fewer outputs than this keeps its canonical forward kernels (Predict and training): in a
    /// 32-wide panel most lanes would be padding (measured: 10 outputs × 128 inputs, 128 rows, Zen 5: 3.1 µs canonical,
    /// 4.1 µs packed), and it saves the layer's repack.</summary>
    public const int MinPackedOutputs = 16;

    /// <summary>Outputs padded to a whole number of the widest panels.</summary>
    public static long PackedOutputs(long outputs) => (outputs + PackedPanel - 1) / PackedPanel * PackedPanel;

    /// <summary>Floats of one dense layer's packed inference weights: the bias padded to <see cref="PackedOutputs"/>,
    /// then the panels (inputs × panel width each), at most inputs × <see cref="PackedOutputs"/>.</summary>
    public static long PackedLength(long inputs, long outputs) => PackedOutputs(outputs) + RoundUp(inputs * PackedOutputs(outputs));

    /// <summary>Whether <paramref name="layer"/> is fused into the node <paramref name="previous"/>, a single-piece dense, batch
    /// norm or layer norm without an activation already: one whose derivative follows from the output, and GELU and SiLU (f′ kept
    /// by the forward, <see cref="ActKindFacts.KeepsDerivative"/>), into any of them.</summary>
    public static bool Fuses(LayerSpec previous, bool previousHasFused, LayerSpec layer)
        => layer.Kind == LayerKind.Activation && !previousHasFused && previous.Pieces == 1
           && (layer.Act.DerivativeFromOutput() || layer.Act.KeepsDerivative())
           && previous.Kind is LayerKind.Dense or LayerKind.BatchNorm or LayerKind.LayerNorm;

    /// <summary>Lays out <paramref name="layers"/> (as parsed: a maxout's dense layer already k× wide) for
    /// <paramref name="batchSize"/> rows of <paramref name="inputs"/> features with <paramref name="stateSlots"/> optimizer slots.</summary>
    public static NetworkLayout Compute(int inputs, int batchSize, IReadOnlyList<LayerSpec> layers, int outputs, int stateSlots)
    {
        var l = new NetworkLayout();
        // Fusion: (layer, fused activation) pairs.
        var groups = new List<(int layer, int fused)>();
        for (int i = 0; i < layers.Count; i++)
        {
            if (groups.Count > 0)
            {
                var last = groups[groups.Count - 1];
                if (Fuses(layers[last.layer], last.fused >= 0, layers[i]))
                {
                    groups[groups.Count - 1] = (last.layer, i);
                    continue;
                }
            }
            groups.Add((i, -1));
        }

        // Parameters: canonical layout in layer order — dense W [out, in] row-major then b [out]; batch and layer norm γ then β; PReLU α.
        int count = groups.Count;
        var weight = new long[count];
        var bias = new long[count];
        var running = new long[count];
        var folded = new long[count];
        var packed = new long[count];
        var trainingPacked = new long[count];
        var output = new long[count];
        var gradient = new long[count];
        var mean = new long[count];
        var derivative = new long[count];
        long p = 0;
        for (int k = 0; k < count; k++)
        {
            LayerSpec s = layers[groups[k].layer];
            weight[k] = bias[k] = running[k] = folded[k] = packed[k] = trainingPacked[k] = mean[k] = -1;
            if (s.Kind == LayerKind.Dense)
            {
                long w = (long)s.Inputs * s.Outputs;
                l.Check(groups[k].layer, "its weights (inputs × units)", w);
                weight[k] = p;
                p += w;
                if (s.Bias)
                {
                    bias[k] = p;
                    p += s.Outputs;
                }
            }
            else if (s.Kind is LayerKind.BatchNorm or LayerKind.LayerNorm)
            {
                weight[k] = p;
                bias[k] = p + s.Outputs;
                p += 2L * s.Outputs;
            }
            else if (s.Kind == LayerKind.Activation && s.Act == ActKind.PReLU)
            {
                weight[k] = p;
                p += s.Outputs;
            }
        }
        l.ParameterCount = p;
        l.ParameterCapacity = RoundUp(Math.Max(p, 1));
        l.CheckBlock("its parameters", l.ParameterCapacity);
        l.StateLength = stateSlots * l.ParameterCapacity;
        l.CheckBlock("its optimizer state (" + stateSlots.ToString(System.Globalization.CultureInfo.InvariantCulture) + " slots of the parameter block)", l.StateLength);

        // Running statistics: per batch norm, mean then variance.
        long st = 0;
        for (int k = 0; k < count; k++)
        {
            if (layers[groups[k].layer].Kind != LayerKind.BatchNorm) continue;
            running[k] = st;
            st += 2L * layers[groups[k].layer].Outputs;
        }
        l.StatisticsCount = st;
        l.CheckBlock("its running statistics", st);

        // Folding for Predict: a batch norm right after a single-piece dense node with nothing fused into it.
        long f = 0;
        for (int k = 1; k < count; k++)
        {
            LayerSpec bn = layers[groups[k].layer], d = layers[groups[k - 1].layer];
            if (bn.Kind == LayerKind.BatchNorm && d.Kind == LayerKind.Dense && groups[k - 1].fused < 0 && d.Pieces == 1)
            {
                folded[k - 1] = f;
                f += RoundUp((long)d.Inputs * d.Outputs) + RoundUp(d.Outputs);
            }
        }
        // Packed inference weights (Predict's outer-product kernels) of every dense node, after the folded ones:
        // from W′ and b′ where a batch norm folds in, else from W and b. Refreshed with the folded weights.
        for (int k = 0; k < count; k++)
        {
            LayerSpec d = layers[groups[k].layer];
            if (d.Kind != LayerKind.Dense || d.Outputs < MinPackedOutputs) continue;
            long length = PackedLength(d.Inputs, d.Outputs);
            if (f + length > MaxFloats) continue; // no room for a packed copy: Predict runs this layer's canonical forward kernel
            packed[k] = f;
            f += length;
        }
        // The training forward's packed copies: Predict's own where nothing folds in (W and b packed as they are), else a
        // copy of the unfolded W and b after everything else.
        for (int k = 0; k < count; k++)
        {
            if (packed[k] < 0) continue;
            if (folded[k] < 0) { trainingPacked[k] = packed[k]; continue; }
            LayerSpec d = layers[groups[k].layer];
            long length = PackedLength(d.Inputs, d.Outputs);
            if (f + length > MaxFloats) continue;
            trainingPacked[k] = f;
            f += length;
        }
        l.FoldedLength = f;
        l.CheckBlock("its folded and packed inference weights", f);

        if (layers.Count > 0)
            l.Check(0, "its input rows (BatchSize × Inputs)", (long)batchSize * inputs);
        // Workspace: per node Y and D for BatchSize rows (a dense, batch-norm or layer-norm node with GELU or SiLU fused: + f′; batch norm: + mean, 1/σ and σ² per feature; layer norm: + mean and 1/σ per row), then the probabilities.
        long ws = 0;
        for (int k = 0; k < count; k++)
        {
            LayerSpec s = layers[groups[k].layer];
            long rows = (long)batchSize * s.Outputs;
            l.Check(groups[k].layer, "its output for BatchSize rows (BatchSize × width)", rows);
            output[k] = ws;
            ws += RoundUp(rows);
            gradient[k] = ws;
            ws += RoundUp(rows);
            derivative[k] = -1;
            if (groups[k].fused >= 0 && layers[groups[k].fused].Act.KeepsDerivative())
            {
                derivative[k] = ws; // f′ at the pre-activation, kept by the forward for the backward
                ws += RoundUp(rows);
            }
            if (s.Kind == LayerKind.BatchNorm)
            {
                mean[k] = ws;
                ws += 3 * RoundUp(s.Outputs);
            }
            else if (s.Kind == LayerKind.LayerNorm)
            {
                mean[k] = ws; // mean and 1/σ per row, for the backward
                ws += 2 * RoundUp(batchSize);
            }
        }
        l.ProbabilitiesOffset = ws;
        ws += RoundUp((long)batchSize * outputs);
        l.WorkspaceLength = ws;
        l.CheckBlock("its workspace (an output and a gradient buffer per layer for BatchSize rows, f′ of a fused GELU or SiLU, and the probabilities)", ws);

        var nodes = new LayoutNode[count];
        for (int k = 0; k < count; k++)
            nodes[k] = new LayoutNode(groups[k].layer, groups[k].fused, weight[k], bias[k], running[k], folded[k], packed[k], trainingPacked[k], output[k], gradient[k], mean[k], derivative[k]);
        l.Nodes = nodes;
        return l;
    }

    private void Check(int layer, string what, long floats)
    {
        if (floats > MaxFloats) _problems.Add(new LayoutProblem(layer, what, floats));
    }

    private void CheckBlock(string what, long floats)
    {
        if (floats > MaxFloats) _problems.Add(new LayoutProblem(-1, what, floats));
    }
}
