using System;
using System.Collections.Generic;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Kernels of a layer-norm node (as torch.nn.LayerNorm over the last dimension): each row is normalised over its own
/// features, y = f(γ·(x − μ)/√(σ² + ε) + β) with the row's mean μ and biased variance σ², learned γ (1) and β (0), no
/// running statistics (training and inference compute the same thing). The forward keeps μ and 1/σ per row for the
/// backward: dβ = Σ_rows d, dγ = Σ_rows d·x̂ (per feature), dx = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)) with g = γ·d (per row),
/// times the previous node's f′ where it is fused. Threads: the forward and dx split by rows, dγ and dβ by features; every
/// element is computed the same way whatever the split, so results do not depend on the thread count.
/// </summary>
internal sealed class LayerNormEmitter : LayerEmitter
{
    public LayerNormEmitter(LayerSpec layer, Node? node) : base(layer, node) { }

    public override string Summary => "LayerNorm";

    public override IEnumerable<string> InfoSettings
    {
        get { yield return $"Epsilon = {Float(Layer.Epsilon)}"; }
    }

    public override string? ModulePrefix => "ln";

    /// <summary>γ and β, named as torch.nn.LayerNorm names them (weight, bias); no running statistics.</summary>
    public override IEnumerable<TensorDecl> Tensors(string module)
    {
        Node n = Node;
        int[] shape = { n.Outputs };
        yield return new TensorDecl(module + ".weight", "Gamma", n.Layer.Index, false, n.WConst, shape, false);
        yield return new TensorDecl(module + ".bias", "Beta", n.Layer.Index, false, n.BConst, shape, false);
    }

    /// <summary>Floats between the per-row means and the per-row 1/σ in the workspace (one per row of a batch, aligned).</summary>
    private int Stride => NetworkPlan.RoundUp(Node.Plan.Spec.BatchSize);

    public override void EmitParameterConstants(CodeWriter w)
    {
        Node n = Node;
        w.Line($"internal const int {n.WConst} = {Int(n.WeightOffset)}; // [{Int(n.Outputs)}] γ of {n.Name} (LayerNorm), initially 1");
        w.Line($"internal const int {n.BConst} = {Int(n.BiasOffset)}; // [{Int(n.Outputs)}] β of {n.Name}, initially 0");
    }

    public override void EmitWorkspaceConstants(CodeWriter w, int batch)
    {
        base.EmitWorkspaceConstants(w, batch);
        Node n = Node;
        w.Line($"internal const int {n.StatsConst} = {Int(n.MeanOffset)}; // [2 × {Int(Stride)}] mean, then 1/√(σ²+ε), of each row of {n.Name}");
    }

    public override void EmitInitialization(CodeWriter w)
        => w.Line($"_parameters.Slice({Node.WConst}, {Int(Node.Outputs)}).Fill(1f); // {Node.Name} LayerNorm: γ = 1, β = 0");

    /// <summary>Arguments of the forward kernel, before the row count, for the rows from <paramref name="first"/> on ("" = row 0);
    /// <paramref name="inference"/>: a node keeping f′ passes a null reference for it (nothing kept).</summary>
    private string ForwardArguments(string input, string first, bool inference = false)
    {
        Node n = Node;
        string at = first.Length == 0 ? string.Empty : " + " + first;
        string rowsAt = first.Length == 0 ? string.Empty : $" + {first} * {Int(n.Outputs)}";
        string fd = !n.KeepsDerivative ? string.Empty : ", " + n.KeptArgument(inference, rowsAt);
        return $"{input}, {RefAt("p", n.WConst)}, {RefAt("p", n.BConst)}, {RefAt("ws", n.StatsConst + at)}, {RefAt("ws", $"{n.StatsConst} + {Int(Stride)}{at}")}, "
            + RefAt("ws", n.YConst + rowsAt) + fd;
    }

    public override string ForwardCall(VectorTarget t, string input, string train, string drop, bool rowOffset = false)
        => $"{Node.KernelName}_Forward_{t.Suffix}({ForwardArguments(input, rowOffset ? "r0" : string.Empty, inference: rowOffset)}, rows)";

    /// <summary>dγ, dβ over every row, for the features [c0, c1).</summary>
    private string ParametersCall(VectorTarget t, string columns)
    {
        Node n = Node;
        return $"{n.KernelName}_BackwardParameters_{t.Suffix}({Input(n)}, {RefAt("ws", n.DConst)}, {RefAt("ws", n.StatsConst)}, {RefAt("ws", $"{n.StatsConst} + {Int(Stride)}")}, "
            + $"{RefAt("g", n.WConst)}, {RefAt("g", n.BConst)}, rows, {columns})";
    }

    /// <summary>dx for <paramref name="count"/> rows from <paramref name="first"/> on ("" = row 0), or null when nothing below learns.</summary>
    private string? InputCall(VectorTarget t, string first, string count, string input)
    {
        Node n = Node;
        if (!n.NeedsInputGradient) return null;
        Node prev = n.Previous!;
        string at = first.Length == 0 ? string.Empty : " + " + first;
        string rowsAt = first.Length == 0 ? string.Empty : $" + {first} * {Int(n.Outputs)}";
        string yp = prev.GradientIncludesDerivative ? RefAt("ws", prev.DerivativeSource + rowsAt) + ", " : string.Empty;
        return $"{n.KernelName}_BackwardInput_{t.Suffix}({input}, {RefAt("ws", n.DConst + rowsAt)}, {RefAt("p", n.WConst)}, {RefAt("ws", n.StatsConst + at)}, "
            + $"{RefAt("ws", $"{n.StatsConst} + {Int(Stride)}{at}")}, {RefAt("ws", prev.DConst + rowsAt)}, {yp}{count})";
    }

    public override string? BackwardCall(VectorTarget t)
    {
        string? dx = InputCall(t, string.Empty, "rows", Input(Node));
        return $"{ParametersCall(t, $"0, {Int(Node.Outputs)}")};" + (dx is null ? string.Empty : $" {dx};");
    }

    public override string ForwardPhase(int phase) => $"Parallel({Int(phase)}, {Int(Node.Outputs)}L * rows, ParallelElements); // {Node.Name} layer norm, split by rows";

    public override string? BackwardPhase(int phase)
        => $"Parallel({Int(phase)}, {Int(Node.Outputs)}L * rows, ParallelElements); // {Node.Name} layer norm backward: dγ, dβ by features, dx by rows";

    /// <summary>The input of this node for the rows from <c>a</c> on.</summary>
    private string InputAt(string first)
    {
        Node n = Node;
        return n.Previous is null ? $"ref {VectorTarget.At("x", $"{first} * {Int(n.Inputs)}")}" : RefAt("ws", $"{n.Previous.YConst} + {first} * {Int(n.Outputs)}");
    }

    /// <summary>Forward: a share of the rows. Backward: a share of the features for dγ, dβ and a share of the rows for dx.</summary>
    public override void EmitParts(CodeWriter w, VectorTarget t, int forward, int backward)
    {
        w.Open($"case {Int(forward)}:");
        w.Line("(int a, int b) = WorkerPool.Rows(rows, part, parts);");
        w.Line($"if (a < b) {Node.KernelName}_Forward_{t.Suffix}({ForwardArguments(InputAt("a"), "a")}, b - a);");
        w.Line("break;");
        w.Close();
        w.Open($"case {Int(backward)}:");
        ActivationEmitter.ColumnShare(w, t, Node.Outputs, ParametersCall(t, "COLUMNS"));
        string? dx = InputCall(t, "a", "b - a", InputAt("a"));
        if (dx is not null)
        {
            w.Line("(int a, int b) = WorkerPool.Rows(rows, part, parts);");
            w.Line($"if (a < b) {dx};");
        }
        w.Line("break;");
        w.Close();
    }

    /// <summary>LayerNorm_{features}, then the fused activation where there is one.</summary>
    public override string Signature => $"LayerNorm_{Int(Node.Outputs)}{(Node.Activation == ActKind.Identity ? string.Empty : "_" + Node.Activation)}";

    public override void EmitKernels(CodeWriter w, IReadOnlyList<VectorTarget> targets)
    {
        Node node = Node;
        int n = node.Outputs;
        float eps = node.Layer.Epsilon;
        string act = node.FusedActivation is null ? string.Empty : $" + {node.Activation} (L{Int(node.FusedActivation.Index)}, fused)";
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · LayerNorm of {Int(n)} features per row, ε = {Float(eps)}{act}. Forward, {t.IsaName}.</summary>");
            bool keep = node.KeepsDerivative;
            w.Line($"// x, y: [rows × {Int(n)}]; gamma, beta: [{Int(n)}]; mean, inv: [rows], μ and 1/√(σ²+ε) of each row (for the backward)"
                + (keep ? $"; fd: [rows × {Int(n)}] {node.Activation}′ at γx̂ + β, from the same evaluation as y (training; a null reference keeps nothing)." : "."));
            w.Line("// Each row on its own, the same in training and inference: any split of the rows gives the same bits.");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_Forward_{t.Suffix}(ref float x, ref float gamma, ref float beta, ref float mean, ref float inv, ref float y, {(keep ? "ref float fd, " : string.Empty)}int rows)");
            if (keep) w.Line($"bool keep = !{VectorTarget.Unsafe}.IsNullRef(ref fd);");
            w.Open("for (nint r = 0; r < rows; r++)");
            w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(n)}")};");
            w.Line($"ref float yr = ref {VectorTarget.At("y", $"r * {Int(n)}")};");
            w.Line("// μ = Σx/n, then σ² = Σ(x − μ)²/n (biased, as PyTorch; two passes, so nothing cancels).");
            Reduce(w, t, n, new[] { "s" }, (v, c, sfx) => w.Line($"s{sfx} += {v.Load("xr", c)};"));
            w.Line($"float m = s / {Int(n)};");
            Reduce(w, t, n, new[] { "q" }, (v, c, sfx) =>
            {
                w.Line($"{v.Type} e = {v.Load("xr", c)} - {v.Broadcast("m")};");
                w.Line($"q{sfx} = {v.MultiplyAdd("e", "e", "q" + sfx)};");
            });
            w.Line($"float iv = 1f / MathF.Sqrt(q / {Int(n)} + {Float(eps)});");
            w.Line($"{VectorTarget.At("mean", "r")} = m;");
            w.Line($"{VectorTarget.At("inv", "r")} = iv;");
            w.Line("// y = f(γ·(x − μ)/σ + β)");
            string Z(VectorTarget v, string c) => v.MultiplyAdd($"({v.Load("xr", c)} - {v.Broadcast("m")}) * {v.Broadcast("iv")}", v.Load("gamma", c), v.Load("beta", c));
            if (keep)
                Map(w, t, n, (v, c) => $"{{ {v.Type} yv = {NetworkPlan.Operator(node.Activation)}.Invoke({Z(v, c)}, out {v.Type} f); {v.Store("yv", "yr", c)} "
                    + $"if (keep) {v.Store("f", "fd", $"r * {Int(n)} + {c}")} }}");
            else
                Map(w, t, n, (v, c) => v.Store(NetworkPlan.Invoke(node.Activation, node.Alpha, v, Z(v, c)), "yr", c));
            w.Close();
            w.Close();
            w.Line();
        }

        bool needsDx = node.NeedsInputGradient;
        Node? prev = node.Previous;
        bool fuse = needsDx && prev!.GradientIncludesDerivative;
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · LayerNorm. Backward of γ and β for the features [c0, c1): dβ = Σ_rows d, dγ = Σ_rows d·x̂, {t.IsaName}.</summary>");
            w.Line($"// d: [rows × {Int(n)}] ∂L/∂(γx̂ + β){(node.GradientIncludesDerivative ? $" (already times {node.Activation}′)" : string.Empty)}; overwrites dgamma, dbeta.");
            w.Line("// Rows in order for each feature: a share of the features gives the same sums as all of them.");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_BackwardParameters_{t.Suffix}(ref float x, ref float d, ref float mean, ref float inv, ref float dgamma, ref float dbeta, int rows, nint c0, nint c1)");
            ActivationEmitter.EmitColumnsRange(w, t, n, (v, c) =>
            {
                w.Line($"{v.Type} sb = {v.Zero}, sg = {v.Zero};");
                w.Open("for (nint r = 0; r < rows; r++)");
                w.Line($"{v.Type} dd = {v.Load("d", $"r * {Int(n)} + {c}")};");
                w.Line("sb += dd;");
                string xhat = $"({v.Load("x", $"r * {Int(n)} + {c}")} - {v.Broadcast(VectorTarget.At("mean", "r"))}) * {v.Broadcast(VectorTarget.At("inv", "r"))}";
                w.Line($"sg = {v.MultiplyAdd("dd", xhat, "sg")};");
                w.Close();
                w.Line(v.Store("sb", "dbeta", c));
                w.Line(v.Store("sg", "dgamma", c));
            });
            w.Close();
            w.Line();
            if (!needsDx) continue;

            w.Line($"/// <summary>{node.Name} · LayerNorm. Backward to the input, row by row: dx = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)), g = γ·d"
                + $"{(fuse ? $", ⊙ {prev!.DerivativeText} (fused)" : string.Empty)}, {t.IsaName}.</summary>");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_BackwardInput_{t.Suffix}(ref float x, ref float d, ref float gamma, ref float mean, ref float inv, ref float dx, "
                + $"{(fuse ? "ref float yp, " : string.Empty)}int rows)");
            w.Open("for (nint r = 0; r < rows; r++)");
            w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(n)}")};");
            w.Line($"ref float dr = ref {VectorTarget.At("d", $"r * {Int(n)}")};");
            w.Line($"ref float dxr = ref {VectorTarget.At("dx", $"r * {Int(n)}")};");
            if (fuse) w.Line($"ref float ypr = ref {VectorTarget.At("yp", $"r * {Int(n)}")};");
            w.Line($"float m = {VectorTarget.At("mean", "r")}, iv = {VectorTarget.At("inv", "r")};");
            w.Line("// Σg and Σg·x̂ over the row's features.");
            Reduce(w, t, n, new[] { "sg", "sgx" }, (v, c, sfx) =>
            {
                w.Line($"{v.Type} gd = {v.Load("gamma", c)} * {v.Load("dr", c)};");
                w.Line($"sg{sfx} += gd;");
                w.Line($"sgx{sfx} = {v.MultiplyAdd("gd", $"({v.Load("xr", c)} - {v.Broadcast("m")}) * {v.Broadcast("iv")}", "sgx" + sfx)};");
            });
            w.Line($"float ma = sg / {Int(n)}, mb = sgx / {Int(n)};");
            Map(w, t, n, (v, c) =>
            {
                string xhat = $"({v.Load("xr", c)} - {v.Broadcast("m")}) * {v.Broadcast("iv")}";
                string value = $"{v.Broadcast("iv")} * ({v.Load("gamma", c)} * {v.Load("dr", c)} - {v.MultiplyAdd(xhat, v.Broadcast("mb"), v.Broadcast("ma"))})";
                if (fuse) value = $"{value} * {prev!.FusedDerivative(v, v.Load("ypr", c))}";
                return v.Store(value, "dxr", c);
            });
            w.Close();
            w.Close();
            w.Line();
        }
    }

    /// <summary>
    /// Float sums <paramref name="sums"/> over the <paramref name="n"/> features of one row: whole vectors (accumulators named with
    /// suffix "V", then folded by Lanes.Sum), then the remaining features one by one (each counted once). body(target, column, suffix).
    /// </summary>
    private static void Reduce(CodeWriter w, VectorTarget t, int n, string[] sums, Action<VectorTarget, string, string> body)
    {
        bool vectors = !t.IsScalar && n >= t.Lanes;
        w.Line($"float {string.Join(", ", Array.ConvertAll(sums, s => s + " = 0f"))};");
        w.Open();
        w.Line("nint c = 0;");
        if (vectors)
        {
            w.Line($"{t.Type} {string.Join(", ", Array.ConvertAll(sums, s => $"{s}V = {t.Zero}"))};");
            w.Open($"for (; c <= {Int(n - t.Lanes)}; c += {Int(t.Lanes)})");
            body(t, "c", "V");
            w.Close();
            foreach (string s in sums) w.Line($"{s} = {t.Sum(s + "V")};");
        }
        if (!vectors || n % t.Lanes != 0)
        {
            w.Open($"for (; c < {Int(n)}; c++)");
            body(VectorTarget.Scalar, "c", string.Empty);
            w.Close();
        }
        w.Close();
    }

    /// <summary>A fresh output per feature of one row: whole vectors with an overlapping last one (or the scalar body when the row is narrower than a vector).</summary>
    private static void Map(CodeWriter w, VectorTarget t, int n, Func<VectorTarget, string, string> body)
    {
        w.Open();
        if (t.IsScalar || n < t.Lanes)
        {
            w.Line($"for (nint c = 0; c < {Int(n)}; c++) {body(VectorTarget.Scalar, "c")}");
        }
        else
        {
            w.Line("nint c = 0;");
            w.Line($"for (; c <= {Int(n - t.Lanes)}; c += {Int(t.Lanes)}) {body(t, "c")}");
            if (n % t.Lanes != 0) w.Line($"{{ c = {Int(n - t.Lanes)}; {body(t, "c")} }} // overlapping last vector");
        }
        w.Close();
    }
}
