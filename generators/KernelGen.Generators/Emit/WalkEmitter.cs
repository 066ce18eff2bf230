using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;
using static KernelGen.Generators.Emit.RunKernelEmitter;
using static KernelGen.Generators.Emit.NetworkEmitter;
using static KernelGen.Generators.Emit.UserClassEmitter;
using static KernelGen.Generators.Emit.ParallelEmitter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// The kernel class's core: layout constants and, per width, the walks through every layer (forward, inference, backward)
/// with their tensors bound once as named views, and RunKernel_ (one GEMM kernel on the network's buffers).
/// </summary>
internal static class WalkEmitter
{
    /// <summary>
    /// The kernel class's core: the layout constants, and per width the walks (forward, inference, backward through every layer),
    /// a thread's share of one phase (RunPart_) and one GEMM kernel on the network's buffers (RunKernel_).
    /// </summary>
    internal static void EmitLayout(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets)
    {
        NetworkSpec spec = plan.Spec;
        const string U = VectorTarget.Unsafe;
        bool bn = plan.HasBatchNorm, dropout = plan.HasDropout, folded = plan.FoldedLength > 0;
        w.Line($"internal const int InputSize = {Int(spec.Inputs)}, OutputSize = {Int(spec.Outputs)}, BatchSize = {Int(spec.BatchSize)};");
        w.Line($"internal const int ParameterCount = {Int(plan.ParameterCount)};");
        w.Line($"internal const int ParameterCapacity = {Int(plan.ParameterCapacity)}; // padded with zeros to 16 floats");
        GradientCheckEmitter.EmitConstants(w);
        w.Line();
        w.Line("// Parameter block, canonical layout (what Parameters, Gradients and checkpoints show):");
        foreach (Node n in plan.Nodes) LayerEmitter.For(n).EmitParameterConstants(w);
        if (plan.HasBatchNorm)
        {
            w.Line();
            w.Line("// Running statistics (RunningStatistics): per batch norm, mean then variance, initially 0 and 1.");
            w.Line($"internal const int StatisticsCount = {Int(plan.StatisticsCount)};");
            foreach (Node n in plan.Nodes) LayerEmitter.For(n).EmitStatisticsConstants(w);
            w.Line($"internal const int BatchSyncLength = {Int(BatchNormEmitter.SyncLength(plan))}; // synchronised batch norm: sums of the widest layer (2 × features + rows)");
        }
        if (plan.FoldedLength > 0)
        {
            w.Line();
            w.Line("// Folded block for Predict and Evaluate, refreshed after any change: each Dense → BatchNorm pair as one dense layer,");
            w.Line("// then every dense layer's weights packed for the outer-product kernels (bias padded to 32, then panels of Wᵀ, k-major).");
            w.Line($"internal const int FoldedLength = {Int(plan.FoldedLength)};");
            foreach (Node n in plan.Nodes.Where(n => n.FoldedInto is not null))
            {
                w.Line($"internal const int {n.FoldedWConst} = {Int(n.FoldedOffset)}; // [{Int(n.Outputs)} × {Int(n.Inputs)}] {n.Name} weights × γ/σ of {n.FoldedInto!.Name}");
                w.Line($"internal const int {n.FoldedBConst} = {Int(n.FoldedOffset + NetworkPlan.RoundUp(n.Inputs * n.Outputs))}; // [{Int(n.Outputs)}]");
            }
            foreach (Node n in plan.Nodes.Where(DenseEmitter.IsPacked))
                w.Line($"internal const int {DenseEmitter.PackedConst(n)} = {Long(DenseEmitter.PackedOffset(n))}; // {Long(NetworkLayout.PackedLength(n.Inputs, n.Outputs))} floats: {n.Name}{(n.FoldedInto is null ? string.Empty : " folded")} packed");
            if (plan.Nodes.Any(DenseEmitter.IsTrainingPacked))
                w.Line($"internal const int {DenseEmitter.TrainingPackedRowsConst} = {Int(DenseEmitter.TrainingPackedRows(plan))}; // the training forward runs the packed kernels from this many rows (fewer: the canonical ones, no repacking; 48 where the update streams more than 1 MiB)");
            foreach (Node n in plan.Nodes.Where(n => n.FoldedInto is not null && DenseEmitter.IsTrainingPacked(n)))
                w.Line($"internal const int {DenseEmitter.TrainingPackedConst(n)} = {Long(DenseEmitter.TrainingPackedOffset(n))}; // {n.Name} packed unfolded, for the training forward");
        }
        w.Line();
        w.Line($"// Workspace for {Int(spec.BatchSize)} rows, every view 64-byte aligned:");
        foreach (Node n in plan.Nodes) LayerEmitter.For(n).EmitWorkspaceConstants(w, spec.BatchSize);
        w.Line($"internal const int Probabilities = {Int(plan.ProbabilitiesOffset)}; // [{Int(spec.BatchSize)} × {Int(spec.Outputs)}]");
        w.Line($"internal const int WorkspaceLength = {Int(plan.WorkspaceLength)};");
        w.Line($"// Threads: a phase (one dense layer's forward, its backward, the update) is split only when it is big enough; the split never");
        w.Line($"// changes how an element is computed, so results are bit-identical for any thread count.");
        w.Line($"internal const long ParallelFlops = {ThreadsPlan.ParallelFlops}L; // {ThreadsPlan.FlopsReason}");
        w.Line($"internal const int ParallelParameters = {Int(ThreadsPlan.ParallelParameters)}; // {ThreadsPlan.ParametersReason}");
        w.Line($"internal const long ParallelElements = {ThreadsPlan.ParallelElements}L; // batch norm is split from this many rows × features: {ThreadsPlan.ElementsReason}");
        bool parallelWork = ThreadsPlan.HasParallelWork(plan);
        w.Line($"internal const bool HasParallelWork = {(parallelWork ? "true" : "false")}; // whether any phase at BatchSize rows reaches the thresholds");
        w.Line();

        // Argument lists of Forward/Backward: the running statistics and the mode only where a layer uses them.
        string stP = bn ? ", ref float st" : string.Empty;
        string modeP = (bn ? ", bool train, BatchNormSync? sync" : string.Empty) + (dropout ? ", bool drop, long step" : string.Empty);
        string foldP = folded ? ", ref float f" : string.Empty;
        string instanceP = dropout ? ", int seed" : string.Empty;
        string lambdaP = spec.Optimizer.CoupledDecay ? ", float lambda" : string.Empty;
        EmitRunKernels(w, plan, targets);
        EmitParts(w, plan, targets);
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>Forward through every layer, {t.IsaName} kernels.</summary>");
            w.Line(Aggressive);
            w.Open($"internal static void Forward_{t.Suffix}(ref float x, ref float ws, ref float p{stP}{foldP}, int rows{modeP}{instanceP})");
            WithViews(w, plan.Nodes.Select(n => LayerEmitter.For(n).ForwardStatement(t)));
            w.Close();
            w.Line();

            w.Line($"/// <summary>Inference forward, {t.IsaName} kernels: running statistics{(plan.Nodes.Any(n => n.FoldedInto is not null) ? ", batch norm folded into the dense weights before it" : string.Empty)}{(dropout ? ", dropout skipped (the next layer reads its input)" : string.Empty)}{(t.IsScalar ? string.Empty : ", dense layers as outer products over their packed weights")}.</summary>");
            w.Line("// r0: the first of these rows within the workspace (a thread's share of a chunk); x points at the chunk's row 0.");
            w.Line(Aggressive);
            w.Open($"internal static void Infer_{t.Suffix}(ref float x, ref float ws, ref float p{stP}{foldP}, int r0, int rows)");
            var output = new Dictionary<Node, string>();
            string Source(Node n) => n.Previous is null ? $"ref {U}.Add(ref x, r0 * {Int(spec.Inputs)})" : output[n.Previous];
            var skipped = new HashSet<Node>();
            foreach (Node n in plan.Nodes)
            {
                if (skipped.Contains(n)) continue;
                if (n.FoldedInto is Node b)
                {
                    string y = RefAt("ws", $"{b.YConst} + r0 * {Int(b.Outputs)}");
                    w.Line(t.IsScalar || !DenseEmitter.IsPacked(n)
                        ? $"{n.FoldedKernelName}_Forward_{t.Suffix}({Source(n)}, {RefAt("f", n.FoldedWConst)}, {RefAt("f", n.FoldedBConst)}, {y}, rows); // {n.Name} + {b.Name} folded"
                        : $"{DenseEmitter.PackedCall(n, n.FoldedKernelName, t, Source(n), y)}; // {n.Name} + {b.Name} folded, packed");
                    output[b] = RefAt("ws", $"{b.YConst} + r0 * {Int(b.Outputs)}");
                    skipped.Add(b);
                    continue;
                }
                if (LayerEmitter.For(n).IdentityAtInference && n != plan.Last)
                {
                    output[n] = Source(n);
                    w.Line($"// {n.Name} ({n.Kind}) is the identity here: the next layer reads {n.Name}'s input.");
                    continue;
                }
                // A dense layer with a PReLU fused writes the PReLU's output (its own holds nothing at inference).
                string yn = RefAt("ws", $"{n.OutputConst} + r0 * {Int(n.Outputs)}");
                w.Line(DenseEmitter.IsPacked(n) && !t.IsScalar
                    ? $"{DenseEmitter.PackedCall(n, n.KernelName, t, Source(n), yn)}; // {n.Name}{(n.FusedPReLU is Node pr ? " + " + pr.Name + " PReLU" : string.Empty)} packed"
                    : ForwardCall(n, t, Source(n), "false", "false", rowOffset: true) + ";");
                output[n] = yn;
                if (n.FusedPReLU is Node fused)
                {
                    output[fused] = yn;
                    skipped.Add(fused);
                }
            }
            w.Close();
            w.Line();

            w.Line($"/// <summary>Backward through every layer in reverse, {t.IsaName} kernels. No ∂L/∂x is computed below the first layer with parameters (nothing there learns).</summary>");
            w.Line(Aggressive);
            w.Open($"internal static void Backward_{t.Suffix}(ref float x, ref float ws, ref float p, ref float g, int rows{modeP}{instanceP}{lambdaP})");
            WithViews(w, plan.Nodes.Reverse().Select(n => LayerEmitter.For(n).BackwardStatement(t)).Where(c => c is not null).Select(c => c!));
            w.Close();
            w.Line();
        }

    }

    internal static string Input(Node n) => n.Previous is null ? "ref x" : RefAt("ws", n.Previous.YConst);

    /// <summary>The forward call of one node (x, ws, p, st, rows and the mode in scope).</summary>
    internal static string ForwardCall(Node n, VectorTarget t, string input, string train, string drop, bool rowOffset = false)
        => LayerEmitter.For(n).ForwardCall(t, input, train, drop, rowOffset);

    /// <summary>The backward call(s) of one node, or null when it has nothing to do.</summary>
    internal static string? BackwardCall(Node n, VectorTarget t) => LayerEmitter.For(n).BackwardCall(t);

    internal static string RefAt(string r, string offset) => $"ref {VectorTarget.At(r, offset)}";

    internal static readonly System.Text.RegularExpressions.Regex View =
        new(@"ref Unsafe\.Add\(ref (p|g|ws|st|f), ([A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+)\)", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Writes a walk's statements with its tensors bound once at the top as named views (as llm.c names its tensor pointers):
    /// <c>ref float l0W = ref Unsafe.Add(ref p, L0_W);</c>, then calls read <c>ref l0W</c>. Gradients are named with a d
    /// (<c>dL0W</c>). Only views at a constant offset are named; a thread's share (offset + rows) stays inline.
    /// </summary>
    internal static void WithViews(CodeWriter w, IEnumerable<string> statements)
    {
        var views = new List<(string Name, string Block, string Offset)>();
        string Name(System.Text.RegularExpressions.Match m)
        {
            string block = m.Groups[1].Value, offset = m.Groups[2].Value;
            string camel = char.ToLowerInvariant(offset[0]) + offset.Substring(1).Replace("_", string.Empty);
            string name = block == "g" ? "d" + offset.Replace("_", string.Empty) : camel;
            if (!views.Any(v => v.Name == name)) views.Add((name, block, offset));
            return "ref " + name;
        }
        string[] body = statements.Select(st => View.Replace(st, Name)).ToArray();
        foreach (var v in views) w.Line($"ref float {v.Name} = ref Unsafe.Add(ref {v.Block}, {v.Offset});");
        foreach (string line in body) w.Line(line);
    }

}
