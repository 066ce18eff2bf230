using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Kernels of an inverted-dropout node (seed deck 000, "Dropout"): the mask is drawn in registers from a
/// counter-based hash of (key, element index), never stored; backward regenerates it from the same key.
/// Right after a batch norm (not as the last node) it has no pass of its own in training: the batch norm's kernels write its
/// output and read its gradient through the same mask (<see cref="Node.DropoutFusedInto"/>, BatchNormEmitter.Dropout.cs).
/// </summary>
internal sealed class DropoutEmitter : LayerEmitter
{
    public DropoutEmitter(LayerSpec layer, Node? node) : base(layer, node) { }

    public override string Summary => $"Dropout {Float(Layer.Rate)}";

    public override IEnumerable<string> InfoSettings
    {
        get { yield return $"Rate = {Float(Layer.Rate)}"; }
    }

    public override bool IdentityAtInference => true;

    /// <summary>The batch norm this node is fused into, or null.</summary>
    private Node? Host => Node.DropoutFusedInto;

    public override bool HasKernels => Host is null;

    public override void EmitWorkspaceConstants(CodeWriter w, int batch)
    {
        base.EmitWorkspaceConstants(w, batch);
        if (Host is Node bn) w.Line($"// {Node.Name} (Dropout) is fused into {bn.Name}'s batch-norm kernels: they write {Node.YConst} and read {Node.DConst} through the mask.");
    }

    public override string ForwardStatement(VectorTarget t)
        => Host is Node bn ? $"// {Node.Name} Dropout: fused into {bn.Name}'s batch-norm forward (its store pass writes {Node.Name}'s output)" : base.ForwardStatement(t);

    public override string? BackwardStatement(VectorTarget t)
        => Host is Node bn ? $"// {Node.Name} Dropout backward: fused into {bn.Name}'s batch-norm backward (it reads {Node.Name}'s gradient through the mask)" : base.BackwardStatement(t);

    public override string ForwardCall(VectorTarget t, string input, string train, string drop, bool rowOffset = false)
    {
        Node n = Node;
        if (Host is not null) throw new GeneratorBugException($"{n.Name} (Dropout) is fused into a batch norm and has no forward kernel");
        string y = RefAt("ws", rowOffset ? $"{n.YConst} + r0 * {Int(n.Outputs)}" : n.YConst);
        return $"{n.KernelName}_Forward_{t.Suffix}({input}, {y}, rows, {drop}, {(drop == "false" ? "0u" : DropoutKey(n))}, 0)";
    }

    public override string? BackwardCall(VectorTarget t)
    {
        Node n = Node;
        if (!n.NeedsInputGradient || Host is not null) return null; // fused: the batch norm's backward applies the mask
        Node prev = n.Previous!;
        string yp = prev.GradientIncludesDerivative ? RefAt("ws", prev.DerivativeSource) + ", " : string.Empty;
        return $"{n.KernelName}_Backward_{t.Suffix}({RefAt("ws", n.DConst)}, {RefAt("ws", prev.DConst)}, {yp}rows, drop, {DropoutKey(n)}, 0);";
    }

    public override string ForwardPhase(int phase) => Host is Node bn
        ? $"// {Node.Name} dropout: in {bn.Name}'s batch-norm phase (fused)"
        : $"Parallel({Int(phase)}, {Int(Node.Outputs)}L * rows, ParallelElements); // {Node.Name} dropout, split by rows";

    public override string? BackwardPhase(int phase) => Host is Node bn
        ? $"// {Node.Name} dropout backward: in {bn.Name}'s batch-norm backward phase (fused)"
        : Node.NeedsInputGradient
        ? $"Parallel({Int(phase)}, {Int(Node.Outputs)}L * rows, ParallelElements); // {Node.Name} dropout backward, split by rows"
        : null;

    /// <summary>Both passes: a share of the rows; the mask of an element depends on its index in the batch, not on the split.</summary>
    public override void EmitParts(CodeWriter w, VectorTarget t, int forward, int backward)
    {
        Node n = Node;
        if (Host is not null) return; // fused: no phase of its own
        int m = n.Outputs;
        Node? prev = n.Previous;
        string input = prev is null ? $"ref {VectorTarget.Unsafe}.Add(ref x, a * {Int(m)})" : RefAt("ws", $"{prev.YConst} + a * {Int(m)}");
        w.Open($"case {Int(forward)}:");
        w.Line("(int a, int b) = WorkerPool.Rows(rows, part, parts);");
        w.Line($"if (a < b) {n.KernelName}_Forward_{t.Suffix}({input}, {RefAt("ws", $"{n.YConst} + a * {Int(m)}")}, b - a, drop, {DropoutKey(n)}, a * {Int(m)});");
        w.Line("break;");
        w.Close();
        if (!n.NeedsInputGradient) return;
        string yp = prev!.GradientIncludesDerivative ? RefAt("ws", $"{prev.DerivativeSource} + a * {Int(m)}") + ", " : string.Empty;
        w.Open($"case {Int(backward)}:");
        w.Line("(int a, int b) = WorkerPool.Rows(rows, part, parts);");
        w.Line($"if (a < b) {n.KernelName}_Backward_{t.Suffix}({RefAt("ws", $"{n.DConst} + a * {Int(m)}")}, {RefAt("ws", $"{prev.DConst} + a * {Int(m)}")}, {yp}b - a, drop, "
            + $"{DropoutKey(n)}, a * {Int(m)});");
        w.Line("break;");
        w.Close();
    }

    /// <summary>Dropout_{features}.</summary>
    public override string Signature => $"Dropout_{Int(Node.Outputs)}";

    public override void EmitKernels(CodeWriter w, IReadOnlyList<VectorTarget> targets) => Emit(w, Node, targets);

    private const string Mask = "DropoutMask";

    /// <summary>The kernels' local holding the keep threshold: keep ⇔ (hash(key, index) ≫ 8) &lt; threshold. A local computed by
    /// DropoutMask.Threshold at the kernel's start, not a static field: a static would make every call fetch the class's static
    /// base through a runtime helper (the arm64 check in CI rejects those).</summary>
    public static string ThresholdConst(Node node) => "threshold";

    public static void Emit(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        int n = node.Outputs;
        float rate = node.Layer.Rate;
        string scale = Float(1f / (1f - rate));
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · Dropout p = {Float(rate)}: kept values × {scale} (= 1/(1 − p)), the rest 0; a copy when <paramref name=\"drop\"/> is false. Forward, {t.IsaName}.</summary>");
            w.Line($"// x, y: [rows × {Int(n)}]; element i of the batch uses counter i under <paramref name=\"key\"/>; first: the batch index of x[0] (a thread's share of the rows).");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_Forward_{t.Suffix}(ref float x, ref float y, int rows, bool drop, uint key, int first)");
            w.Open("if (drop)");
            w.Line($"uint threshold = {Mask}.Threshold({Float(rate)}); // keep with probability 1 − {Float(rate)}");
            ActivationEmitter.EmitMap(w, t, $"rows * {Int(n)}", (v, i) => v.Store($"{Mask}.Apply({v.Load("x", i)}, first + (int)({i}), key, {ThresholdConst(node)}, {scale})", "y", i));
            w.Close();
            w.Open("else");
            ActivationEmitter.EmitMap(w, t, $"rows * {Int(n)}", (v, i) => v.Store(v.Load("x", i), "y", i));
            w.Close();
            w.Close();
            w.Line();
        }
        if (!node.NeedsInputGradient) return;
        Node prev = node.Previous!;
        bool fuse = prev.GradientIncludesDerivative;
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · Dropout. Backward: dx = d ⊙ mask × {scale} (the same mask, regenerated){(fuse ? $" ⊙ {prev.DerivativeText} (fused)" : string.Empty)}, {t.IsaName}.</summary>");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_Backward_{t.Suffix}(ref float d, ref float dx, {(fuse ? "ref float yp, " : string.Empty)}int rows, bool drop, uint key, int first)");
            string Fused(VectorTarget v, string value, string i) => fuse ? $"{value} * {prev.FusedDerivative(v, v.Load("yp", i))}" : value;
            w.Open("if (drop)");
            w.Line($"uint threshold = {Mask}.Threshold({Float(rate)}); // keep with probability 1 − {Float(rate)}");
            ActivationEmitter.EmitMap(w, t, $"rows * {Int(n)}", (v, i) => v.Store(Fused(v, $"{Mask}.Apply({v.Load("d", i)}, first + (int)({i}), key, {ThresholdConst(node)}, {scale})", i), "dx", i));
            w.Close();
            w.Open("else");
            ActivationEmitter.EmitMap(w, t, $"rows * {Int(n)}", (v, i) => v.Store(Fused(v, v.Load("d", i), i), "dx", i));
            w.Close();
            w.Close();
            w.Line();
        }
    }
}
