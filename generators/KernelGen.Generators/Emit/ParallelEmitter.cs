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
using static KernelGen.Generators.Emit.WalkEmitter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// The threaded step: phase numbering, ForwardParallel/BackwardParallel in the user's class and RunPart_ (a thread's share
/// of one phase) in the kernel class.
/// </summary>
internal static class ParallelEmitter
{
    /// <summary>Phase numbers: node k's forward is 2k, its backward 2k + 1; the update is 2 × nodes, inference 2 × nodes + 1.</summary>
    internal static int ForwardPhase(Node n) => 2 * n.Number;
    internal static int BackwardPhase(Node n) => 2 * n.Number + 1;


    /// <summary>The training forward's repack: after the update (2 × nodes) and inference (2 × nodes + 1).</summary>
    internal static int RepackPhase(NetworkPlan plan) => 2 * plan.Nodes.Count + 2;

    /// <summary>
    /// The threaded step: ForwardParallel/BackwardParallel pin the inputs and walk the layers like Forward_/Backward_, each layer a
    /// phase: a dense layer split over the worker pool — the packed training forward by output panels, the canonical forward and dX
    /// by rows, dW by output tiles (each thread owns whole rows of dW, so no sum changes order) —, batch norm by features, dropout by
    /// rows, and the other element-wise layers whole on the calling thread. <paramref name="parameters"/>: what the two methods take
    /// (the inputs, the rows and the mode the phases read back from fields).
    /// </summary>
    internal static void EmitParallel(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets, string parameters)
    {
        bool coupled = plan.Spec.Optimizer.CoupledDecay;
        bool bn = plan.HasBatchNorm, dropout = plan.HasDropout;
        int update = 2 * plan.Nodes.Count;

        void Locals()
        {
            w.Line("int rows = _partRows;");
            if (bn) w.Line("bool train = _partTrain;");
            if (bn) w.Line("global::KernelGen.Runtime.BatchNormSync? sync = _batchSync;");
        }
        w.Line("/// <summary>Forward with each dense layer split over the threads (packed: by output panels, else by rows); other layers as their");
        w.Line("/// phase says. The inputs are pinned for the phases, which read them in place on every thread (no copy).</summary>");
        w.Open($"private void ForwardParallel({parameters})");
        w.Line("_partRows = rows;");
        if (bn) w.Line("_partTrain = train;");
        if (dropout) w.Line("_partDrop = drop; _partStep = step;");
        w.Line("_pool!.RunPinned(this, inputs, 0);");
        w.Close();
        w.Line();
        w.Open("private void ForwardPhases()");
        Locals();
        foreach (Node n in plan.Nodes) w.Line(LayerEmitter.For(n).ForwardPhase(ForwardPhase(n)));
        w.Close();
        w.Line();

        w.Line("/// <summary>Backward with each dense layer's dW (by output tiles) and dX (by rows) split over the threads; other layers as their phase says.</summary>");
        w.Open($"private void BackwardParallel({parameters})");
        w.Line("_partRows = rows;");
        if (bn) w.Line("_partTrain = train;");
        if (dropout) w.Line("_partDrop = drop; _partStep = step;");
        w.Line("_pool!.RunPinned(this, inputs, 1);");
        w.Close();
        w.Line();
        w.Open("private void BackwardPhases()");
        Locals();
        for (int i = plan.Nodes.Count - 1; i >= 0; i--)
        {
            string? line = LayerEmitter.For(plan.Nodes[i]).BackwardPhase(BackwardPhase(plan.Nodes[i]));
            if (line is not null) w.Line(line);
        }
        w.Close();
        w.Line();

        w.Line("/// <summary>The phases that read the pinned inputs: 0 forward, 1 backward, 2 one inference chunk.</summary>");
        w.Open("void global::KernelGen.Runtime.IPinnedPhases.RunPinned(int which)");
        w.Line($"if (which == 0) ForwardPhases(); else if (which == 1) BackwardPhases(); else _pool!.Run(this, {Int(update + 1)});");
        w.Close();
        w.Line();

        w.Line("/// <summary>Runs a phase on every thread when it is worth it, else whole on this one (same results either way).</summary>");
        w.Open("private void Parallel(int phase, long work, long threshold = ParallelFlops)");
        w.Line("if (work >= threshold) _pool!.Run(this, phase);");
        w.Line("else RunPart(phase, 0, 1);");
        w.Close();
        w.Line();

        w.Line("void global::KernelGen.Runtime.IParallelPhases.RunPart(int phase, int part, int parts) => RunPart(phase, part, parts);");
        w.Line();
        w.Line("/// <summary>Part <paramref name=\"part\"/> of <paramref name=\"parts\"/> of one phase, on the calling thread.</summary>");
        w.Open("private void RunPart(int phase, int part, int parts)");
        w.Open($"if (phase == {Int(update)})");
        w.Line("UpdatePart(part, parts);");
        w.Line("return;");
        w.Close();
        w.Open($"if (phase == {Int(update + 1)})");
        w.Line("InferPart(part, parts);");
        w.Line("return;");
        w.Close();
        if (plan.Nodes.Any(DenseEmitter.IsTrainingPacked))
        {
            w.Open($"if (phase == {Int(RepackPhase(plan))})");
            w.Line("RepackPart(part, parts);");
            w.Line("return;");
            w.Close();
        }
        w.Line("ref float x = ref _pool!.Inputs; // pinned by RunPinned for the phases that read it");
        w.Line("ref float ws = ref _workspace.Ref;");
        w.Line("ref float p = ref _parameters.Ref;");
        w.Line("ref float g = ref _gradients.Ref;");
        w.Line("int rows = _partRows;");
        if (coupled) w.Line("float lambda = _weightDecay;");
        if (bn) w.Line("ref float st = ref _statistics.Ref;");
        bool folded = plan.FoldedLength > 0;
        if (folded) w.Line("ref float f = ref _folded.Ref;");
        EmitSwitch(w, "RunPart", $"phase, part, parts, ref x, ref ws, ref p, ref g, {(folded ? "ref f, " : string.Empty)}rows{(coupled ? ", lambda" : string.Empty)}{(bn ? ", ref st, _partTrain, _batchSync" : string.Empty)}{(dropout ? ", _partDrop, _seed, _partStep" : string.Empty)}", targets);
        w.Line("global::System.GC.KeepAlive(this);");
        w.Close();
        w.Line();
    }

    /// <summary>RunPart_: a thread's share of one phase at one width (kernel class).</summary>
    internal static void EmitParts(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets)
    {
        bool coupled = plan.Spec.Optimizer.CoupledDecay;
        bool bn = plan.HasBatchNorm, dropout = plan.HasDropout;
        string bnP = (bn ? ", ref float st, bool train, BatchNormSync? sync" : string.Empty) + (dropout ? ", bool drop, int seed, long step" : string.Empty);
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>One part of a phase, {t.IsaName} kernels: dense forward and dX take a share of the rows, dW a share of whole output tiles;");
            w.Line("/// batch norm a share of the features, dropout of the rows; the other layers run whole (part 0 of 1).</summary>");
            w.Line(Aggressive);
            w.Open($"internal static void RunPart_{t.Suffix}(int phase, int part, int parts, ref float x, ref float ws, ref float p, ref float g, {(plan.FoldedLength > 0 ? "ref float f, " : string.Empty)}int rows{(coupled ? ", float lambda" : string.Empty)}{bnP})");
            w.Open("switch (phase)");
            foreach (Node n in plan.Nodes) LayerEmitter.For(n).EmitParts(w, t, ForwardPhase(n), BackwardPhase(n));
            w.Line("default: Guard.NoPhase(phase); break;");
            w.Close();
            w.Close();
            w.Line();
        }
    }
}
