using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Optimizers;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// The optimizer: one fused pass over the parameter block per step, per width; the learning-rate schedule; the
/// coupled weight-decay penalty. The per-element formulas are written once against <see cref="VectorTarget"/>.
/// </summary>
internal static class OptimizerEmitter
{

    public static string Describe(OptimizerSpec o)
    {
        string name = OptimizerRule.For(o.Kind).Name(o);
        string decay = o.WeightDecay > 0f ? $", {(o.Decoupled ? "decoupled" : o.Regularization.ToString())} weight decay λ = {Trim(o.WeightDecay)}" : string.Empty;
        string clip = o.ClipNorm > 0f ? $", gradient clipped to norm {Trim(o.ClipNorm)}" : string.Empty;
        return $"{name} (η = {Trim(o.LearningRate)}{decay}{clip})";
    }

    private static string Trim(float f) => Float(f).TrimEnd('f');

    /// <summary>What the dW kernel adds to each weight's gradient for coupled decay, as an expression of <paramref name="w"/>.</summary>
    public static string DecayGradient(OptimizerSpec o, VectorTarget t, string w)
    {
        string c(float f) => t.Broadcast(Float(f));
        string lambda = t.Broadcast("lambda"); // λ is the kernel's runtime argument (WeightDecay)
        string sign = $"Lanes.Sign({w})";
        return o.Regularization switch
        {
            RegKind.L2 => $"{lambda} * {w}",
            RegKind.L1 => $"{lambda} * {sign}",
            _ => $"{lambda} * ({c(o.ElasticNetBeta)} * {w} + {sign})",
        };
    }

    /// <summary>The user class's part: the schedule, the penalty, the update's dispatch (instance members).</summary>
    public static void EmitMembers(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets)
    {
        OptimizerSpec o = plan.Spec.Optimizer;
        EmitSchedule(w, plan.Spec.Schedule, o.LearningRate);
        EmitPenalty(w, plan);
        EmitUpdate(w, plan, targets);
    }

    /// <summary>The kernel class's part: the fused update at every width.</summary>
    public static void EmitKernels(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets)
    {
        foreach (VectorTarget t in targets) EmitKernel(w, plan, t);
    }

    private static void EmitSchedule(CodeWriter w, ScheduleSpec s, float lr)
    {
        string eta = "(double)_baseLearningRate";
        w.Line($"/// <summary>The learning rate of update number t + 1 (t = steps taken); η₀ = BaseLearningRate (declared {Float(lr)}).</summary>");
        w.Open("private float LearningRateAt(long t)");
        string rate = s.Kind switch
        {
            ScheduleKind.StepDecay => $"{eta} * global::System.Math.Pow({Float(s.Gamma)}, t / {Int(s.StepSize)})",
            ScheduleKind.Exponential => $"{eta} * global::System.Math.Pow({Float(s.Gamma)}, t)",
            ScheduleKind.InverseTime => $"{eta} / (1.0 + {Float(s.DecayRate)} * t)",
            ScheduleKind.Cosine => $"{Float(s.MinLearningRate)} + 0.5 * ({eta} - {Float(s.MinLearningRate)}) * (1.0 + global::System.Math.Cos(global::System.Math.PI * global::System.Math.Min(t, {Int(s.TotalSteps)}) / {Int(s.TotalSteps)}))",
            _ => eta,
        };
        w.Line($"// {s.Kind}{(s.WarmupSteps > 0 ? $", linear warm-up over {Int(s.WarmupSteps)} steps" : string.Empty)}.");
        w.Line($"double rate = {rate};");
        if (s.WarmupSteps > 0) w.Line($"if (t < {Int(s.WarmupSteps)}) rate *= (t + 1) / {Float(s.WarmupSteps)};");
        w.Line("return (float)rate;");
        w.Close();
        w.Line();
    }

    private static void EmitPenalty(CodeWriter w, NetworkPlan plan)
    {
        OptimizerSpec o = plan.Spec.Optimizer;
        if (!o.CoupledDecay) return;
        w.Line($"/// <summary>The {o.Regularization} weight-decay term of the loss over every dense weight (biases excluded).</summary>");
        w.Open("private double Penalty()");
        if (o.Regularization != RegKind.L1) w.Line("double squares = 0;");
        if (o.Regularization != RegKind.L2) w.Line("double magnitudes = 0;");
        foreach (Node n in plan.Nodes.Where(n => n.IsDense))
        {
            string span = $"_parameters.Slice({n.WConst}, {Int(n.Inputs * n.Outputs)})";
            if (o.Regularization != RegKind.L1) w.Line($"squares += global::KernelGen.Runtime.Penalties.SumOfSquares({span});");
            if (o.Regularization != RegKind.L2) w.Line($"magnitudes += global::KernelGen.Runtime.Penalties.SumOfMagnitudes({span});");
        }
        string value = o.Regularization switch
        {
            RegKind.L2 => "_weightDecay * 0.5 * squares",
            RegKind.L1 => "_weightDecay * magnitudes",
            _ => $"_weightDecay * (0.5 * {Float(o.ElasticNetBeta)} * squares + magnitudes)",
        };
        w.Line($"return {value};");
        w.Close();
        w.Line();
    }

    private static void EmitUpdate(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets)
    {
        OptimizerSpec o = plan.Spec.Optimizer;
        w.Line($"/// <summary>One {Describe(o)} update from <see cref=\"Gradients\"/>, the rate from the schedule at Step.</summary>");
        w.Open("private void Update()");
        w.Line("ref float p = ref _parameters.Ref;");
        w.Line("ref float g = ref _gradients.Ref;");
        w.Line(o.StateSlots > 0 ? "ref float s = ref _state!.Ref;" : "ref float s = ref g; // SGD keeps no state");
        bool trainPacked = plan.Nodes.Any(DenseEmitter.IsTrainingPacked), repack = DenseEmitter.PacksInUpdate(plan);
        if (repack)
        {
            w.Line("ref float f = ref _folded.Ref;");
            w.Line("bool current = !_packedStale; // the training forward's packed copy matched the weights before this update");
        }
        if (trainPacked) w.Line("_packedStale = true; // until the update has packed the new weights");
        w.Line("float lr = LearningRateAt(_step);");
        w.Line("bool anyFrozen = _frozenCount != 0;");
        w.Open("if (anyFrozen)");
        w.Line("// Frozen layers have no gradient: zeroed before the clipping norm, and the kernel skips their segments.");
        foreach (ParameterSegment seg in plan.Segments)
            w.Line($"if (_frozen[{Int(seg.Layer)}]) _gradients.Slice({seg.Start}, {Int(seg.Length)}).Clear();");
        w.Close();
        if (o.ClipNorm > 0f)
        {
            w.Line($"double norm = global::System.Math.Sqrt(global::KernelGen.Runtime.Penalties.SumOfSquares(_gradients.Slice(0, ParameterCount)));");
            w.Line($"float scale = norm > {Float(o.ClipNorm)} ? (float)({Float(o.ClipNorm)} / norm) : 1f; // clip to the global norm");
        }
        else
        {
            w.Line("float scale = 1f;");
        }
        OptimizerRule.For(o.Kind).StepConstants(w, o);
        string wd = o.DecoupledDecay ? ", _weightDecay" : string.Empty;
        string fArg = repack ? "ref f, pack, " : string.Empty;
        string frozen = "ref global::System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_frozen)";
        if (repack)
        {
            w.Line("// Pack the panels as they are updated when the next forward will read them (the last one had 16+ rows) and every panel ends");
            w.Line("// up current: a frozen layer's panels are skipped, so with one frozen only if the copy was current before. Else RepackTraining");
            w.Line("// rebuilds the copy before the next forward of 16+ rows.");
            w.Line($"bool pack = _lastRows >= {DenseEmitter.TrainingPackedRowsConst} && _isa != global::KernelGen.Isa.{VectorTarget.Scalar.IsaName} && (!anyFrozen || current);");
        }
        w.Open("if (_pool is not null && ParameterCount >= ParallelParameters)");
        w.Line($"_partLr = lr; _partScale = scale; _partC1 = c1; _partC2 = c2; _partAnyFrozen = anyFrozen;{(repack ? " _partPack = pack;" : string.Empty)}");
        w.Line($"_pool.Run(this, {Int(2 * plan.Nodes.Count)}); // the update phase: each thread a share of every segment");
        w.Close();
        w.Open("else");
        NetworkEmitter.EmitSwitch(w, "Update", $"ref p, ref g, ref s, {fArg}lr, scale, c1, c2{wd}, {frozen}, anyFrozen, 0, 1", targets);
        w.Close();
        if (repack)
        {
            w.Line("// The vector kernels packed each dense layer's panels right after updating them (their rows still in L2); the padded biases here.");
            w.Open("if (pack)");
            foreach (Node n in plan.Nodes.Where(DenseEmitter.PacksInUpdate))
                w.Line($"global::KernelGen.Runtime.WeightPacking.PackBias({DenseEmitter.BiasSource(n)}, {Int(n.Outputs)}, {DenseEmitter.TrainingPackedRegion(n)});");
            w.Line("_packedStale = false;");
            w.Close();
        }
        w.Line("global::System.GC.KeepAlive(this);");
        w.Close();
        w.Line();

        w.Line("/// <summary>One share of the update (a worker's part of the update phase).</summary>");
        w.Open("private void UpdatePart(int part, int parts)");
        w.Line("ref float p = ref _parameters.Ref;");
        w.Line("ref float g = ref _gradients.Ref;");
        w.Line(o.StateSlots > 0 ? "ref float s = ref _state!.Ref;" : "ref float s = ref g; // SGD keeps no state");
        if (repack) w.Line("ref float f = ref _folded.Ref;");
        NetworkEmitter.EmitSwitch(w, "Update", $"ref p, ref g, ref s, {(repack ? "ref f, _partPack, " : string.Empty)}_partLr, _partScale, _partC1, _partC2{wd}, {frozen}, _partAnyFrozen, part, parts", targets);
        w.Line("global::System.GC.KeepAlive(this);");
        w.Close();
        w.Line();
    }

    private static void EmitKernel(CodeWriter w, NetworkPlan plan, VectorTarget t)
    {
        OptimizerSpec o = plan.Spec.Optimizer;
        int capacity = plan.ParameterCapacity;
        w.Line($"/// <summary>{Describe(o)}: one fused pass, {t.IsaName}.</summary>");
        w.Line($"// State: {(o.StateSlots == 0 ? "none" : string.Join(", ", StateNames(o).Select((n, k) => $"{n} at s[{Int(k)}·{Int(capacity)}]")))}. scale: gradient clipping factor.");
        var packed = t.IsScalar ? new Dictionary<string, Node>() : plan.Nodes.Where(DenseEmitter.PacksInUpdate).ToDictionary(n => n.WConst);
        bool repack = DenseEmitter.PacksInUpdate(plan);
        w.Line("// frozen: per layer, skip its segments (anyFrozen: at least one is set). part/parts: this call's share of every loop (of the");
        w.Line($"// vectors{(packed.Count > 0 ? ", of a dense layer's output panels" : string.Empty)}), each segment's scalar tail in the share that ends it,");
        w.Line("// so each element is updated the same way whatever the split.");
        if (packed.Count > 0)
        {
            w.Line("// f: the folded block. Each dense layer's weights are updated a panel of outputs at a time (contiguous rows) and, with pack,");
            w.Line("// the panel is packed for the training forward's outer-product kernels at once, while its rows are in L2.");
        }
        else if (repack)
        {
            w.Line("// f, pack: unused at this width (it reads the canonical weights).");
        }
        w.Line(Aggressive);
        w.Open($"internal static void Update_{t.Suffix}(ref float p, ref float g, ref float s, {(repack ? "ref float f, bool pack, " : string.Empty)}float lr, float scale, float c1, float c2{(o.DecoupledDecay ? ", float wd" : string.Empty)}, ref bool frozen, bool anyFrozen, int part, int parts)");
        if (o.DecoupledDecay) w.Line("float keep = 1f - lr * wd; // decoupled decay: w ← w·(1 − η·λ)");
        if (!t.IsScalar)
        {
            w.Line($"{t.Type} lrV = {t.Broadcast("lr")}, scaleV = {t.Broadcast("scale")}, c1V = {t.Broadcast("c1")}, c2V = {t.Broadcast("c2")};");
            if (o.DecoupledDecay) w.Line($"{t.Type} keepV = {t.Broadcast("keep")};");
        }
        if (!o.DecoupledDecay && packed.Count == 0)
        {
            w.Open("if (!anyFrozen)");
            w.Line($"// {Int(capacity)} = {Int(plan.ParameterCount)} parameters padded with zeros to a multiple of 16: no tail at any width; the padding's gradient is 0 and stays 0.");
            w.Line($"(int va, int vb) = WorkerPool.Range({Int(capacity / t.Lanes)}, part, parts);");
            w.Open($"for (nint i = (nint)va * {Int(t.Lanes)}; i < (nint)vb * {Int(t.Lanes)}; i += {Int(t.Lanes)})");
            Element(w, o, t, "i", decay: false);
            w.Close();
            w.Line("return;");
            w.Close();
        }
        {
            w.Line(o.DecoupledDecay
                ? "// Decay applies to dense weights only (not biases, batch-norm γ/β or PReLU α): one loop per segment, vectors then a scalar tail."
                : packed.Count > 0
                    ? "// One loop per segment (dense weights by panels), vectors then a scalar tail, frozen segments skipped."
                    : "// Some layer is frozen: one loop per segment, vectors then a scalar tail, frozen segments skipped.");
            var scalar = VectorTarget.Scalar;
            foreach (ParameterSegment seg in plan.Segments)
            {
                w.Open($"if (!{VectorTarget.Unsafe}.Add(ref frozen, {Int(seg.Layer)}))");
                w.Line($"// {seg.What}: {Int(seg.Length)} floats{(seg.Decay && o.DecoupledDecay ? ", decayed" : string.Empty)}.");
                if (packed.TryGetValue(seg.Start, out Node? dense))
                {
                    EmitPanels(w, o, t, seg, dense);
                    w.Close();
                    continue;
                }
                bool vectors = !t.IsScalar && seg.Length >= t.Lanes;
                int units = vectors ? seg.Length / t.Lanes : seg.Length, step = vectors ? t.Lanes : 1;
                w.Line($"(int va, int vb) = WorkerPool.Range({Int(units)}, part, parts);");
                w.Line($"nint i = {seg.Start} + (nint)va * {Int(step)};");
                if (vectors)
                {
                    w.Open($"for (; i < {seg.Start} + (nint)vb * {Int(step)}; i += {Int(t.Lanes)})");
                    Element(w, o, t, "i", seg.Decay && o.DecoupledDecay);
                    w.Close();
                    if (seg.Length % t.Lanes != 0)
                    {
                        w.Open($"if (part == parts - 1) for (i = {seg.Start} + {Int(units * t.Lanes)}; i < {seg.Start} + {Int(seg.Length)}; i++)");
                        Element(w, o, scalar, "i", seg.Decay && o.DecoupledDecay);
                        w.Close();
                    }
                }
                else
                {
                    w.Open($"for (; i < {seg.Start} + (nint)vb; i++)");
                    Element(w, o, scalar, "i", seg.Decay && o.DecoupledDecay);
                    w.Close();
                }
                w.Close();
            }
        }
        w.Close();
        w.Line();
    }

    /// <summary>
    /// A dense layer's weights with the repack fused in: a share of the output panels (as the repack and the training forward split
    /// them over threads), each updated over its contiguous rows, then packed. A panel is 2 vectors of outputs × inputs floats, a
    /// whole number of vectors from the segment's start, so the vectors and the scalar tail are the flat loop's: the same update
    /// of every element. The pack reads the rows just written (32 × 784 floats for the first FashionMlp layer: 100 KB, in L2)
    /// where the separate repack read them back from L3 before the next forward.
    /// </summary>
    private static void EmitPanels(CodeWriter w, OptimizerSpec o, VectorTarget t, ParameterSegment seg, Node dense)
    {
        int panel = DenseEmitter.PackedPanel(t), panels = DenseEmitter.Panels(dense, t), chunk = panel * dense.Inputs;
        if (seg.Length != dense.Inputs * dense.Outputs) throw new GeneratorBugException($"{dense.Name}: weight segment of {seg.Length} floats for {dense.Inputs} × {dense.Outputs}");
        int vectorEnd = seg.Length / t.Lanes * t.Lanes;
        bool decay = seg.Decay && o.DecoupledDecay;
        string u = VectorTarget.Unsafe, mm = "global::System.Runtime.InteropServices.MemoryMarshal";
        string packedLength = Long(NetworkLayout.PackedLength(dense.Inputs, dense.Outputs));
        w.Line($"// By {(panels == 1 ? "one panel" : $"{Int(panels)} panels")} of {Int(panel)} outputs, packed (with pack) into f[{DenseEmitter.TrainingPackedConst(dense)}].");
        w.Line($"global::System.ReadOnlySpan<float> weights = {mm}.CreateReadOnlySpan(ref {u}.Add(ref p, {seg.Start}), {Int(seg.Length)});");
        w.Line($"global::System.Span<float> target = {mm}.CreateSpan(ref {u}.Add(ref f, {DenseEmitter.TrainingPackedConst(dense)}), {packedLength});");
        w.Line($"(int qa, int qb) = WorkerPool.Range({Int(panels)}, part, parts);");
        w.Open("for (int q = qa; q < qb; q++)");
        w.Line($"nint i = {seg.Start} + (nint)q * {Int(chunk)};");
        w.Line($"nint end = {seg.Start} + global::System.Math.Min((nint)(q + 1) * {Int(chunk)}, {Int(vectorEnd)});");
        w.Open($"for (; i < end; i += {Int(t.Lanes)})");
        Element(w, o, t, "i", decay);
        w.Close();
        if (vectorEnd != seg.Length)
        {
            w.Open($"if (q == {Int(panels - 1)}) for (i = {seg.Start} + {Int(vectorEnd)}; i < {seg.Start} + {Int(seg.Length)}; i++)");
            Element(w, o, VectorTarget.Scalar, "i", decay);
            w.Close();
        }
        w.Line($"if (pack) global::KernelGen.Runtime.WeightPacking.PackPanels(weights, {Int(dense.Outputs)}, {Int(panel)}, target, q, q + 1);");
        w.Close();
    }

    internal static IEnumerable<string> StateNames(OptimizerSpec o) => OptimizerRule.For(o.Kind).Slots;

    /// <summary>
    /// The update of the parameters at offset <paramref name="i"/>: one vector, or one float for the scalar
    /// target and the scalar tails (which use the kernel's float arguments instead of their broadcasts).
    /// </summary>
    private static void Element(CodeWriter w, OptimizerSpec o, VectorTarget t, string i, bool decay)
    {
        string v = t.IsScalar ? string.Empty : "V";
        string scale = "scale" + v, keep = "keep" + v;
        w.Line($"{t.Type} gi = {t.Load("g", i)} * {scale};");
        w.Line($"{t.Type} pi = {t.Load("p", i)}{(decay ? " * " + keep : string.Empty)};");
        OptimizerRule.For(o.Kind).Element(new OptimizerElement(w, o, t, i));
        w.Line(t.Store("pi", "p", i));
    }
}
