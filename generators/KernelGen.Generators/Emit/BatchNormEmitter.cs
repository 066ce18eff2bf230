using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Kernels of a batch-norm node (seed deck 000, "Batch normalization"): statistics in one pass per feature
/// (shifted sums), normalise + γ, β + the fused activation in one pass; backward dγ, dβ in one pass and
/// dx = γ/σ·(d − (dβ + x̂·dγ)/N) in another, with the previous node's f′ fused; a dropout right after it is fused too
/// (BatchNormEmitter.Dropout.cs).
/// </summary>
internal sealed partial class BatchNormEmitter : LayerEmitter
{
    public BatchNormEmitter(LayerSpec layer, Node? node) : base(layer, node) { }

    public override string Summary => "BatchNorm";

    public override IEnumerable<string> InfoSettings
    {
        get { yield return $"Momentum = {Float(Layer.Momentum)}, Epsilon = {Float(Layer.Epsilon)}, StatisticsOffset = {Node.RunningConst}"; }
    }

    public override string? ModulePrefix => "bn";

    /// <summary>γ and β (named as torch.nn.BatchNorm1d names them: weight, bias), then the running mean and variance.</summary>
    public override IEnumerable<TensorDecl> Tensors(string module)
    {
        Node n = Node;
        int[] shape = { n.Outputs };
        yield return new TensorDecl(module + ".weight", "Gamma", n.Layer.Index, false, n.WConst, shape, false);
        yield return new TensorDecl(module + ".bias", "Beta", n.Layer.Index, false, n.BConst, shape, false);
        yield return new TensorDecl(module + ".running_mean", "RunningMean", n.Layer.Index, true, n.RunningConst, shape, false);
        yield return new TensorDecl(module + ".running_var", "RunningVariance", n.Layer.Index, true, $"{n.RunningConst} + {Int(n.Outputs)}", shape, false);
    }

    public override void EmitParameterConstants(CodeWriter w)
    {
        Node n = Node;
        w.Line($"internal const int {n.WConst} = {Int(n.WeightOffset)}; // [{Int(n.Outputs)}] γ of {n.Name} (BatchNorm), initially 1");
        w.Line($"internal const int {n.BConst} = {Int(n.BiasOffset)}; // [{Int(n.Outputs)}] β of {n.Name}, initially 0");
    }

    public override void EmitStatisticsConstants(CodeWriter w)
        => w.Line($"internal const int {Node.RunningConst} = {Int(Node.RunningOffset)}; // [2 × {Int(Node.Outputs)}] of {Node.Name}, momentum {Float(Layer.Momentum)}");

    public override void EmitWorkspaceConstants(CodeWriter w, int batch)
    {
        base.EmitWorkspaceConstants(w, batch);
        Node n = Node;
        w.Line($"internal const int {n.StatsConst} = {Int(n.MeanOffset)}; // [3 × {Int(n.StatsStride)}] batch mean, 1/√(σ²+ε), batch σ² of {n.Name}");
    }

    public override void EmitInitialization(CodeWriter w)
    {
        Node n = Node;
        w.Line($"_parameters.Slice({n.WConst}, {Int(n.Outputs)}).Fill(1f); // γ = 1, β = 0");
        w.Line($"_statistics.Slice({n.RunningConst} + {Int(n.Outputs)}, {Int(n.Outputs)}).Fill(1f); // running variance 1, mean 0");
    }

    public override void EmitRunningUpdate(CodeWriter w)
    {
        Node n = Node;
        float m = n.Layer.Momentum;
        const string U = "global::System.Runtime.CompilerServices.Unsafe";
        w.Open($"for (nint i = 0; i < {Int(n.Outputs)}; i++)");
        w.Line($"ref float mean = ref {U}.Add(ref st, {n.RunningConst} + i);");
        w.Line($"ref float variance = ref {U}.Add(ref st, {n.RunningConst} + {Int(n.Outputs)} + i);");
        w.Line($"mean = {Float(m)} * mean + {Float(1f - m)} * {U}.Add(ref ws, {n.StatsConst} + i);");
        w.Line($"variance = {Float(m)} * variance + {Float(1f - m)} * unbiased * {U}.Add(ref ws, {n.StatsConst} + {Int(2 * n.StatsStride)} + i);");
        w.Close();
    }

    public override string ForwardCall(VectorTarget t, string input, string train, string drop, bool rowOffset = false)
    {
        Node n = Node;
        string y = RefAt("ws", rowOffset ? $"{n.YConst} + r0 * {Int(n.Outputs)}" : n.YConst);
        // A fused dropout's output; in inference (rows from r0) y itself: the dropout is the identity there and nothing more is written.
        string yd = n.FusedDropout is not Node dropout ? string.Empty : (rowOffset ? y : RefAt("ws", dropout.YConst)) + ", ";
        return $"{n.KernelName}_Forward_{t.Suffix}({input}, {RefAt("p", n.WConst)}, {RefAt("p", n.BConst)}, {RefAt("ws", n.StatsConst)}, {RefAt("st", n.RunningConst)}, "
            + $"{y}, {yd}{DerivativeArgument(n, rowOffset)}rows, {train}, {ModeArguments(n, drop)}0, {Int(n.Outputs)})";
    }

    public override string? BackwardCall(VectorTarget t)
    {
        Node n = Node;
        Node? prev = n.Previous;
        string dx = n.NeedsInputGradient ? RefAt("ws", prev!.DConst) + ", " : string.Empty;
        string yp = n.NeedsInputGradient && prev!.GradientIncludesDerivative ? RefAt("ws", prev.DerivativeSource) + ", " : string.Empty;
        return $"{n.KernelName}_Backward_{t.Suffix}({Input(n)}, {RefAt("ws", UpstreamGradient(n))}, {RefAt("p", n.WConst)}, {RefAt("ws", n.StatsConst)}, "
            + $"{RefAt("g", n.WConst)}, {RefAt("g", n.BConst)}, {dx}{yp}{OutputArguments(n)}rows, train, {ModeArguments(n, "drop")}0, {Int(n.Outputs)});";
    }

    public override string ForwardPhase(int phase) => SyncOrSplit(phase, true, "batch norm");

    public override string? BackwardPhase(int phase) => SyncOrSplit(phase, Node.NeedsInputGradient, "batch norm backward");

    /// <summary>A phase split by features, or (synchronised, where the pass reduces) whole on the calling thread.</summary>
    private string SyncOrSplit(int phase, bool reduces, string what)
    {
        string split = $"Parallel({Int(phase)}, {Int(Node.Outputs)}L * rows, ParallelElements); // {Node.Name} {what}, split by features";
        return reduces ? $"if (sync is not null && train) RunPart({Int(phase)}, 0, 1); else {split}" : split;
    }

    /// <summary>Both passes: a share of the features (each thread owns whole columns, so no sum changes order).</summary>
    public override void EmitParts(CodeWriter w, VectorTarget t, int forward, int backward)
    {
        w.Open($"case {Int(forward)}:");
        w.Line($"if (sync is not null && train) {{ if (part == 0) {SyncForwardCall(t)}; break; }} // synchronised: whole, on one thread");
        ActivationEmitter.ColumnShare(w, t, Node.Outputs, Columns(ForwardCall(t, Input(Node), "train", "drop")));
        w.Line("break;");
        w.Close();
        w.Open($"case {Int(backward)}:");
        if (Node.NeedsInputGradient)
            w.Line($"if (sync is not null && train) {{ if (part == 0) {SyncBackwardCall(t)}; break; }} // synchronised: whole, on one thread");
        ActivationEmitter.ColumnShare(w, t, Node.Outputs, Columns(BackwardCall(t)!.TrimEnd(';')));
        w.Line("break;");
        w.Close();
    }

    /// <summary>BatchNorm_{features}, then the fused activation where there is one, then _Dropout where a dropout is fused.</summary>
    public override string Signature => $"BatchNorm_{Int(Node.Outputs)}{(Node.Activation == ActKind.Identity ? string.Empty : "_" + Node.Activation)}{DropoutSuffix(Node)}";

    public override void EmitKernels(CodeWriter w, IReadOnlyList<VectorTarget> targets)
    {
        Emit(w, Node, targets);
        EmitSync(w, Node, targets);
    }


    public static void Emit(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        int n = node.Outputs, stride = node.StatsStride;
        float eps = node.Layer.Epsilon;
        string act = node.FusedActivation is null ? string.Empty : $" + {node.Activation} (L{Int(node.FusedActivation.Index)}, fused)";
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · BatchNorm of {Int(n)} features, ε = {Float(eps)}{act}{DropoutText(node)}. Forward, {t.IsaName}.</summary>");
            w.Line($"// x, y{(node.FusedDropout is null ? string.Empty : ", yd")}: [rows × {Int(n)}]; gamma, beta: [{Int(n)}]; stats: mean [{Int(n)}] at 0, 1/√(σ²+ε) at {Int(stride)}, batch σ² at {Int(2 * stride)};");
            w.Line($"// running: mean [{Int(n)}] then variance [{Int(n)}]. train: batch statistics (written to stats); else the running ones.");
            w.Line($"// Columns [c0, c1): all {Int(n)}, or a thread's share (whole vectors; every feature is normalised the same way whatever the split).");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_Forward_{t.Suffix}(ref float x, ref float gamma, ref float beta, ref float stats, ref float running, ref float y, {ForwardDropoutParameters(node)}int rows, bool train, {ModeParameters(node)}nint c0, nint c1)");
            w.Open("if (train)");
            w.Line("// One pass per feature over the rows, shifted by the first row (K) so the sums do not cancel: μ = K + Σ(x−K)/N, σ² = Σ(x−K)²/N − (Σ(x−K)/N)².");
            w.Line("float invRows = 1f / rows;");
            ActivationEmitter.EmitColumnsRange(w, t, n, (v, c) =>
            {
                w.Line($"{v.Type} k = {v.Load("x", c)}, s1 = {v.Zero}, s2 = {v.Zero};");
                w.Open("for (nint r = 0; r < rows; r++)");
                w.Line($"{v.Type} e = {v.Load("x", $"r * {Int(n)} + {c}")} - k;");
                w.Line("s1 += e;");
                w.Line($"s2 = {v.MultiplyAdd("e", "e", "s2")};");
                w.Close();
                w.Line($"{v.Type} m = s1 * {v.Broadcast("invRows")};");
                w.Line($"{v.Type} variance = {v.Max($"s2 * {v.Broadcast("invRows")} - m * m", v.Zero)};");
                w.Line(v.Store("k + m", "stats", c));
                w.Line(v.Store($"{v.One} / {v.Sqrt($"variance + {v.Broadcast(Float(eps))}")}", "stats", $"{Int(stride)} + {c}"));
                w.Line(v.Store("variance", "stats", $"{Int(2 * stride)} + {c}"));
            });
            w.Close();
            w.Open("else");
            ActivationEmitter.EmitColumnsRange(w, t, n, (v, c) =>
            {
                w.Line(v.Store(v.Load("running", c), "stats", c));
                w.Line(v.Store($"{v.One} / {v.Sqrt($"{v.Load("running", $"{Int(n)} + {c}")} + {v.Broadcast(Float(eps))}")}", "stats", $"{Int(stride)} + {c}"));
            });
            w.Close();
            EmitStorePass(w, t, node);
            w.Close();
            w.Line();
        }

        bool needsDx = node.NeedsInputGradient;
        Node? prev = node.Previous;
        bool fuse = needsDx && prev!.GradientIncludesDerivative;
        bool materialise = Materialises(node);
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · BatchNorm. Backward: dβ = Σ d, dγ = Σ d·x̂{(needsDx ? $", dx = γ/σ·(d − (dβ + x̂·dγ)/N) (train; γ/σ·d with running statistics){(fuse ? $" ⊙ {prev!.DerivativeText} (fused)" : string.Empty)}" : string.Empty)}, {t.IsaName}.</summary>");
            w.Line(node.FusedDropout is Node dropout
                ? $"// d: [rows × {Int(n)}] ∂L/∂({dropout.Name}'s output): {dropout.Name}'s mask{(node.Activation == ActKind.Identity ? string.Empty : $" then {node.Activation}′(y)")} applied where the reductions read it gives ∂L/∂(γx̂ + β){(materialise ? ", kept in dn for the dx pass" : string.Empty)}; overwrites dgamma, dbeta{(needsDx ? ", dx" : string.Empty)}."
                : $"// d: [rows × {Int(n)}] ∂L/∂(γx̂ + β){(node.GradientIncludesDerivative ? $" (already times {node.Activation}′)" : string.Empty)}; overwrites dgamma, dbeta{(needsDx ? ", dx" : string.Empty)}.");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_Backward_{t.Suffix}(ref float x, ref float d, ref float gamma, ref float stats, ref float dgamma, ref float dbeta, {(needsDx ? "ref float dx, " : string.Empty)}{(fuse ? "ref float yp, " : string.Empty)}{BackwardOutputParameter(node)}{(materialise ? "ref float dn, " : string.Empty)}int rows, bool train, {ModeParameters(node)}nint c0, nint c1)");
            void Reductions(bool drop) => ActivationEmitter.EmitColumnsRange(w, t, n, (v, c) =>
            {
                w.Line($"{v.Type} m = {v.Load("stats", c)}, inv = {v.Load("stats", $"{Int(stride)} + {c}")}, sb = {v.Zero}, sg = {v.Zero};");
                string i = OpenRowLoop(w, node, c);
                w.Line($"{v.Type} dd = {Upstream(node, v, i, drop)};");
                if (materialise) w.Line(v.Store("dd", "dn", i));
                w.Line("sb += dd;");
                w.Line($"sg = {v.MultiplyAdd("dd", $"({v.Load("x", i)} - m) * inv", "sg")};");
                CloseRowLoop(w, node);
                w.Line(v.Store("sb", "dbeta", c));
                w.Line(v.Store("sg", "dgamma", c));
            });
            EmitDropBranches(w, node, Reductions);
            // dx in a pass over the rows of its own. Tried: each column's dx right after its sums (all it needs), while its x and
            // dn were to be in L1 — slower, 523 samples of FashionMlp's two backward kernels per 10,000 of the Dense kernels' against
            // 461 (3 interleaved pairs, Vector512): a column's 128 rows, 1 KB apart, fall in 4 of L1's 64 sets (48 KB, 12 ways: room
            // for 48 lines), and dx is then written by column.
            if (needsDx)
            {
                w.Line("// With running statistics the layer is affine in x: the batch terms vanish.");
                w.Line("float invRows = train ? 1f / rows : 0f;");
                ActivationEmitter.EmitRowMapRange(w, t, n, (v, i, c) =>
                {
                    string inv = v.Load("stats", $"{Int(stride)} + {c}");
                    string xhat = $"({v.Load("x", i)} - {v.Load("stats", c)}) * {inv}";
                    string value = $"{v.Load("gamma", c)} * {inv} * ({v.Load(DxSource(node), i)} - {v.MultiplyAdd(xhat, v.Load("dgamma", c), v.Load("dbeta", c))} * {v.Broadcast("invRows")})";
                    if (fuse) value = $"{value} * {prev!.FusedDerivative(v, v.Load("yp", i))}";
                    return v.Store(value, "dx", i);
                });
            }
            w.Close();
            w.Line();
        }
    }
}
