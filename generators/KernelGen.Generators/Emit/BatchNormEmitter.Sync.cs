using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Synchronised batch norm (issue 16): with a reducer set (<c>BatchStatisticsReducer</c>), training-mode batch norm uses
/// the statistics of every participant's rows. Forward: Σx and the rows summed over the participants → μ; Σ(x − μ)²
/// summed → σ² (two passes, so no cancellation). Backward: the sums dx needs, each participant's weighted by its rows
/// (its d is the gradient of the mean over its own rows), summed, divided by the total. dγ, dβ stay this instance's sums.
/// The sums run whole on the calling thread (a reduce between two passes does not split over the pool); null: unchanged.
/// A dropout right after the batch norm is fused here as in the plain kernels (same store pass, same upstream gradient).
/// </summary>
internal sealed partial class BatchNormEmitter
{
    /// <summary>Floats of the sums block: 2 × the widest batch norm's features + 1 (the row count).</summary>
    internal static int SyncLength(NetworkPlan plan)
        => 2 * plan.Nodes.Where(n => n.Kind == LayerKind.BatchNorm).Max(n => n.Outputs) + 1;

    public override string ForwardStatement(VectorTarget t)
        => $"if (sync is not null && train) {SyncForwardCall(t)}; else {ForwardCall(t, Input(Node), "train", "drop")};";

    public override string? BackwardStatement(VectorTarget t)
        => Node.NeedsInputGradient ? $"if (sync is not null && train) {SyncBackwardCall(t)}; else {BackwardCall(t)}" : BackwardCall(t);

    private string SyncForwardCall(VectorTarget t)
    {
        Node n = Node;
        string yd = n.FusedDropout is Node dropout ? RefAt("ws", dropout.YConst) + ", " : string.Empty;
        return $"{n.KernelName}_ForwardSync_{t.Suffix}({Input(n)}, {RefAt("p", n.WConst)}, {RefAt("p", n.BConst)}, {RefAt("ws", n.StatsConst)}, {RefAt("ws", n.YConst)}, {yd}{DerivativeArgument(n, false)}rows, "
            + $"{ModeArguments(n, "drop")}sync)";
    }

    private string SyncBackwardCall(VectorTarget t)
    {
        Node n = Node;
        Node prev = n.Previous!;
        string yp = prev.GradientIncludesDerivative ? RefAt("ws", prev.DerivativeSource) + ", " : string.Empty;
        return $"{n.KernelName}_BackwardSync_{t.Suffix}({Input(n)}, {RefAt("ws", UpstreamGradient(n))}, {RefAt("p", n.WConst)}, {RefAt("ws", n.StatsConst)}, "
            + $"{RefAt("g", n.WConst)}, {RefAt("g", n.BConst)}, {RefAt("ws", prev.DConst)}, {yp}{OutputArguments(n)}rows, {ModeArguments(n, "drop")}sync)";
    }

    /// <summary>The user class's field and property (ISynchronisedBatchNorm).</summary>
    internal static void EmitSyncMembers(CodeWriter w)
    {
        w.Line("private global::KernelGen.Runtime.BatchNormSync? _batchSync; // synchronised batch norm: the reducer and its sums block, or null");
        w.Line("/// <summary>");
        w.Line("/// Synchronised batch norm: when set, training-mode batch norm sums its batch statistics (and the sums its backward needs)");
        w.Line("/// over every participant through this reducer, so that N participants × B rows normalise as one × N·B rows would, and the");
        w.Line("/// running statistics follow the group's batch (the same on every participant). Null (the default): this instance's rows.");
        w.Line("/// </summary>");
        w.Open("public global::KernelGen.Training.IBatchStatisticsReducer? BatchStatisticsReducer");
        w.Line("get => _gate.Check(nameof(BatchStatisticsReducer), _batchSync?.Reducer);");
        w.Line("set { _gate.Alive(nameof(BatchStatisticsReducer)); _batchSync = value is null ? null : new global::KernelGen.Runtime.BatchNormSync(value, BatchSyncLength); }");
        w.Close();
    }

    internal static void EmitSync(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        int n = node.Outputs, stride = node.StatsStride;
        float eps = node.Layer.Epsilon;
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · BatchNorm of {Int(n)} features, synchronised: the statistics of every participant's rows{DropoutText(node)}. Forward, {t.IsaName}.</summary>");
            w.Line($"// μ = ΣΣx / ΣN, then σ² = ΣΣ(x − μ)² / ΣN (the sums over the participants by sync); stats and y as the forward kernel.");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_ForwardSync_{t.Suffix}(ref float x, ref float gamma, ref float beta, ref float stats, ref float y, {ForwardDropoutParameters(node)}int rows, {ModeParameters(node)}BatchNormSync sync)");
            w.Line("ref float s = ref sync.Sums;");
            ActivationEmitter.EmitColumns(w, t, n, (v, c) =>
            {
                w.Line($"{v.Type} s1 = {v.Zero};");
                w.Line($"for (nint r = 0; r < rows; r++) s1 += {v.Load("x", $"r * {Int(n)} + {c}")};");
                w.Line(v.Store("s1", "s", c));
            });
            w.Line($"float invTotal = 1f / sync.SumWithRows({Int(n + 1)}, rows);");
            ActivationEmitter.EmitColumns(w, t, n, (v, c) =>
            {
                w.Line($"{v.Type} m = {v.Load("s", c)} * {v.Broadcast("invTotal")}, s2 = {v.Zero};");
                w.Open("for (nint r = 0; r < rows; r++)");
                w.Line($"{v.Type} e = {v.Load("x", $"r * {Int(n)} + {c}")} - m;");
                w.Line($"s2 = {v.MultiplyAdd("e", "e", "s2")};");
                w.Close();
                w.Line(v.Store("m", "stats", c));
                w.Line(v.Store("s2", "s", c));
            });
            w.Line($"sync.Sum({Int(n)});");
            ActivationEmitter.EmitColumns(w, t, n, (v, c) =>
            {
                w.Line($"{v.Type} variance = {v.Load("s", c)} * {v.Broadcast("invTotal")};");
                w.Line(v.Store($"{v.One} / {v.Sqrt($"variance + {v.Broadcast(Float(eps))}")}", "stats", $"{Int(stride)} + {c}"));
                w.Line(v.Store("variance", "stats", $"{Int(2 * stride)} + {c}"));
            });
            w.Line($"nint c0 = 0, c1 = {Int(n)};");
            EmitStorePass(w, t, node);
            w.Close();
            w.Line();
        }

        if (!node.NeedsInputGradient) return; // dγ, dβ are this instance's sums: the gradient allreduce combines them
        Node prev = node.Previous!;
        bool fuse = prev.GradientIncludesDerivative;
        bool materialise = Materialises(node);
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · BatchNorm, synchronised. Backward: dβ = Σ d, dγ = Σ d·x̂ (this instance's rows), dx = γ/σ·(d − (Sβ + x̂·Sγ)/N),");
            w.Line($"/// Sβ, Sγ: Σ over the participants of N·dβ, N·dγ, divided by ΣN{(fuse ? $"; ⊙ {prev.DerivativeText} (fused)" : string.Empty)}, {t.IsaName}.</summary>");
            w.Line($"// Each participant's d is ∂(mean loss over its N rows): N·d is the per-row gradient the one-participant formula sums.");
            if (node.FusedDropout is Node dropout)
                w.Line($"// d is ∂L/∂({dropout.Name}'s output): its mask{(node.Activation == ActKind.Identity ? string.Empty : $" then {node.Activation}′(y)")} applied where the reductions read it, kept in dn for the dx pass, as in the plain kernel.");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_BackwardSync_{t.Suffix}(ref float x, ref float d, ref float gamma, ref float stats, ref float dgamma, ref float dbeta, ref float dx, {(fuse ? "ref float yp, " : string.Empty)}{BackwardOutputParameter(node)}{(materialise ? "ref float dn, " : string.Empty)}int rows, {ModeParameters(node)}BatchNormSync sync)");
            w.Line("ref float s = ref sync.Sums;");
            w.Line("float local = rows;");
            void Reductions(bool drop) => ActivationEmitter.EmitColumns(w, t, n, (v, c) =>
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
                w.Line(v.Store($"sb * {v.Broadcast("local")}", "s", c));
                w.Line(v.Store($"sg * {v.Broadcast("local")}", "s", $"{Int(n)} + {c}"));
            });
            EmitDropBranches(w, node, Reductions);
            w.Line($"float invTotal = 1f / sync.SumWithRows({Int(2 * n + 1)}, rows);");
            w.Line("float invRows = 1f / rows;");
            ActivationEmitter.EmitColumns(w, t, n, (v, c) =>
            {
                w.Line(v.Store($"{v.Load("s", c)} * {v.Broadcast("invTotal")}", "s", c));
                w.Line(v.Store($"{v.Load("s", $"{Int(n)} + {c}")} * {v.Broadcast("invTotal")}", "s", $"{Int(n)} + {c}"));
            });
            w.Line($"nint c0 = 0, c1 = {Int(n)};");
            ActivationEmitter.EmitRowMapRange(w, t, n, (v, i, c) =>
            {
                string inv = v.Load("stats", $"{Int(stride)} + {c}");
                string xhat = $"({v.Load("x", i)} - {v.Load("stats", c)}) * {inv}";
                string value = $"{v.Load("gamma", c)} * {inv} * ({v.Load(DxSource(node), i)} - {v.MultiplyAdd(xhat, v.Load("s", $"{Int(n)} + {c}"), v.Load("s", c))} * {v.Broadcast("invRows")})";
                if (fuse) value = $"{value} * {prev.FusedDerivative(v, v.Load("yp", i))}";
                return v.Store(value, "dx", i);
            });
            w.Close();
            w.Line();
        }
    }
}
