using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Kernels of a stand-alone activation node (one not fused into the dense, batch-norm or layer-norm node before it; GELU
/// and SiLU fuse into a dense layer only, which keeps their f′): element-wise forward and backward. GELU, SiLU and PReLU take
/// f′ at the input (the previous node's output, kept in the workspace); the others take it from the output. PReLU also
/// reduces dα = Σ_rows d·min(x, 0) per unit. A PReLU right after a dense layer has its forward in the dense epilogue
/// (<see cref="Node.PReLUFusedInto"/>), which keeps the pre-activation in the dense node's output for this backward.
/// </summary>
internal sealed class ActivationEmitter : LayerEmitter
{
    public ActivationEmitter(LayerSpec layer, Node? node) : base(layer, node) { }

    public override string Summary => Layer.Act.ToString();
    public override ActKind InfoActivation => Layer.Act;

    public override IEnumerable<string> InfoSettings
    {
        get { if (Layer.Act.TakesAlpha()) yield return $"Alpha = {Float(Layer.Alpha)}"; }
    }

    public override string? ModulePrefix => Node.IsPReLU ? "prelu" : null;

    /// <summary>PReLU's α per unit (named as torch.nn.PReLU names it: weight); other activations own no tensor.</summary>
    public override IEnumerable<TensorDecl> Tensors(string module)
    {
        if (Node.IsPReLU) yield return new TensorDecl(module + ".weight", "Alpha", Node.Layer.Index, false, Node.WConst, new[] { Node.Outputs }, false);
    }

    public override void EmitParameterConstants(CodeWriter w)
    {
        Node n = Node;
        if (n.IsPReLU) w.Line($"internal const int {n.WConst} = {Int(n.WeightOffset)}; // [{Int(n.Outputs)}] α of {n.Name} (PReLU), initially {Float(n.Alpha)}");
    }

    public override void EmitInitialization(CodeWriter w)
    {
        Node n = Node;
        if (n.IsPReLU) w.Line($"_parameters.Slice({n.WConst}, {Int(n.Outputs)}).Fill({Float(n.Alpha)}); // PReLU α");
    }

    /// <summary>The dense node whose epilogue does this PReLU's forward, or null.</summary>
    private Node? Host => Node.PReLUFusedInto;

    public override void EmitWorkspaceConstants(CodeWriter w, int batch)
    {
        base.EmitWorkspaceConstants(w, batch);
        if (Host is Node d) w.Line($"// {Node.Name} (PReLU) is fused into {d.Name}'s dense epilogue: it writes {Node.YConst} (and in training keeps the pre-activation in {d.YConst}).");
    }

    public override string ForwardStatement(VectorTarget t)
        => Host is Node d ? $"// {Node.Name} PReLU: fused into {d.Name}'s dense forward (its epilogue writes {Node.Name}'s output)" : base.ForwardStatement(t);

    public override string ForwardPhase(int phase)
        => Host is Node d ? $"// {Node.Name} PReLU: in {d.Name}'s dense forward phase (fused)" : base.ForwardPhase(phase);

    /// <summary>Whole, as part 0 of 1; a PReLU fused into the dense layer before it has only its backward here.</summary>
    public override void EmitParts(CodeWriter w, VectorTarget t, int forward, int backward)
    {
        if (Host is null)
        {
            base.EmitParts(w, t, forward, backward);
            return;
        }
        string? back = BackwardCall(t);
        if (back is not null) w.Line($"case {Int(backward)}: {back} break;");
    }

    public override string ForwardCall(VectorTarget t, string input, string train, string drop, bool rowOffset = false)
    {
        Node n = Node;
        if (Host is not null) throw new GeneratorBugException($"{n.Name} (PReLU) is fused into a dense layer and has no forward call");
        string y = RefAt("ws", rowOffset ? $"{n.YConst} + r0 * {Int(n.Outputs)}" : n.YConst);
        return $"{n.KernelName}_Forward_{t.Suffix}({input}, {(n.IsPReLU ? RefAt("p", n.WConst) + ", " : string.Empty)}{y}, rows)";
    }

    public override string? BackwardCall(VectorTarget t)
    {
        Node n = Node;
        bool needsDx = n.NeedsInputGradient;
        if (!needsDx && !n.IsPReLU) return null;
        Node? prev = n.Previous;
        string dx = needsDx ? RefAt("ws", prev!.DConst) + ", " : string.Empty;
        string yp = needsDx && prev!.GradientIncludesDerivative ? RefAt("ws", prev.DerivativeSource) + ", " : string.Empty;
        string source = n.Activation.DerivativeFromOutput() ? RefAt("ws", n.YConst) : Input(n);
        string alpha = n.IsPReLU ? $"{RefAt("p", n.WConst)}, {RefAt("g", n.WConst)}, " : string.Empty;
        return $"{n.KernelName}_Backward_{t.Suffix}({RefAt("ws", n.DConst)}, {source}, {alpha}{dx}{yp}rows);";
    }

    /// <summary>The activation and its width, e.g. ReLU_256.</summary>
    public override string Signature => $"{Node.Layer.Act}_{Int(Node.Outputs)}{(Host is null ? string.Empty : "_Fused")}"; // fused: no forward kernel

    public override void EmitKernels(CodeWriter w, IReadOnlyList<VectorTarget> targets) => Emit(w, Node, targets);


    public static void Emit(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        int n = node.Outputs;
        ActKind act = node.Activation;
        bool prelu = node.IsPReLU;
        foreach (VectorTarget t in node.PReLUFusedInto is null ? targets : Array.Empty<VectorTarget>()) // fused: the dense epilogue is the forward
        {
            w.Line($"/// <summary>{node.Name} · {act}{(prelu ? " (learned α per unit)" : AlphaText(node))} on {Int(n)} values per row. Forward, {t.IsaName}.</summary>");
            w.Line($"// x, y: [rows × {Int(n)}]{(prelu ? $", alpha: [{Int(n)}]" : string.Empty)}.");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_Forward_{t.Suffix}(ref float x, {(prelu ? "ref float alpha, " : string.Empty)}ref float y, int rows)");
            if (prelu)
                EmitRowMap(w, t, n, (v, i, c) => v.Store(NetworkPlan.InvokeWithAlpha(v.Load("x", i), v.Load("alpha", c)), "y", i));
            else
                EmitMap(w, t, $"rows * {Int(n)}", (v, i) => v.Store(NetworkPlan.Invoke(act, node.Alpha, v, v.Load("x", i)), "y", i));
            w.Close();
            w.Line();
        }
        bool needsDx = node.NeedsInputGradient;
        if (!needsDx && !prelu) return; // nothing learns below: no ∂L/∂x
        Node? prev = node.Previous;
        bool fuse = needsDx && prev!.GradientIncludesDerivative;
        bool fromInput = !act.DerivativeFromOutput();
        foreach (VectorTarget t in targets)
        {
            string derivative = fromInput ? $"{act}′(x)" : $"{act}′(y)";
            w.Line($"/// <summary>{node.Name} · {act}. Backward: {(needsDx ? $"dx = d ⊙ {derivative}{(fuse ? $" ⊙ {prev!.DerivativeText} (fused)" : string.Empty)}" : string.Empty)}{(needsDx && prelu ? "; " : string.Empty)}{(prelu ? "dα = Σ_rows d ⊙ min(x, 0)" : string.Empty)}, {t.IsaName}.</summary>");
            w.Line(Aggressive);
            var parameters = new List<string> { "ref float d" };
            parameters.Add(fromInput ? "ref float x" : "ref float y");
            if (prelu) parameters.Add("ref float alpha");
            if (prelu) parameters.Add("ref float dalpha");
            if (needsDx) parameters.Add("ref float dx");
            if (fuse) parameters.Add("ref float yp");
            parameters.Add("int rows");
            w.Open($"private static void {node.KernelName}_Backward_{t.Suffix}({string.Join(", ", parameters)})");
            if (prelu)
            {
                w.Line("// dα per unit: columns outer, rows inner (no overlapping vector: a reduction must count each lane once).");
                EmitColumns(w, t, n, (v, c) =>
                {
                    w.Line($"{v.Type} s = {v.Zero};");
                    w.Line($"for (nint r = 0; r < rows; r++) s = {v.MultiplyAdd(v.Load("d", $"r * {Int(n)} + {c}"), v.Min(v.Load("x", $"r * {Int(n)} + {c}"), v.Zero), "s")};");
                    w.Line(v.Store("s", "dalpha", c));
                });
            }
            if (needsDx)
            {
                Func<VectorTarget, string, string, string> body = (v, i, c) =>
                {
                    string f = prelu ? NetworkPlan.DerivativeAtInput(act, v.Load("x", i), v.Load("alpha", c))
                        : fromInput ? NetworkPlan.DerivativeAtInput(act, v.Load("x", i))
                        : NetworkPlan.DerivativeFromOutput(act, node.Alpha, v, v.Load("y", i));
                    string value = $"{v.Load("d", i)} * {f}";
                    if (fuse) value += $" * {prev!.FusedDerivative(v, v.Load("yp", i))}";
                    return v.Store(value, "dx", i);
                };
                if (prelu) EmitRowMap(w, t, n, body);
                else EmitMap(w, t, $"rows * {Int(n)}", (v, i) => body(v, i, "0"));
            }
            w.Close();
            w.Line();
        }
    }

    private static string AlphaText(Node node) => node.Activation.TakesAlpha() ? $" (α = {Float(node.Alpha)})" : string.Empty;

    /// <summary>
    /// Emits an element-wise loop over <paramref name="count"/> floats whose body writes a fresh output
    /// (never in place): the last vector may overlap the previous one, so there is no scalar tail.
    /// Fewer floats than one vector (a batch of one narrow row) run the scalar body.
    /// </summary>
    public static void EmitMap(CodeWriter w, VectorTarget t, string count, Func<VectorTarget, string, string> body)
    {
        w.Line($"int count = {count};");
        if (t.IsScalar)
        {
            w.Line($"for (nint i = 0; i < count; i++) {body(t, "i")}");
            return;
        }
        w.Open($"if (count >= {Int(t.Lanes)})");
        w.Line("int i = 0;");
        w.Line($"for (; i <= count - {Int(t.Lanes)}; i += {Int(t.Lanes)}) {body(t, "i")}");
        w.Line($"if (i < count) {{ i = count - {Int(t.Lanes)}; {body(t, "i")} }} // overlapping last vector");
        w.Close();
        w.Open("else");
        w.Line($"for (nint i = 0; i < count; i++) {body(VectorTarget.Scalar, "i")}");
        w.Close();
    }

    /// <summary>
    /// Row by row, <paramref name="n"/> columns: body(target, element offset, column offset) writes a fresh output.
    /// Columns come in vectors with an overlapping last one; fewer columns than one vector run the scalar body.
    /// </summary>
    public static void EmitRowMap(CodeWriter w, VectorTarget t, int n, Func<VectorTarget, string, string, string> body)
    {
        w.Open("for (nint r = 0; r < rows; r++)");
        w.Line($"nint row = r * {Int(n)};");
        if (t.IsScalar || n < t.Lanes)
        {
            w.Line($"for (nint c = 0; c < {Int(n)}; c++) {body(VectorTarget.Scalar, "row + c", "c")}");
        }
        else
        {
            w.Line("nint c = 0;");
            w.Line($"for (; c <= {Int(n - t.Lanes)}; c += {Int(t.Lanes)}) {body(t, "row + c", "c")}");
            if (n % t.Lanes != 0) w.Line($"{{ c = {Int(n - t.Lanes)}; {body(t, "row + c", "c")} }} // overlapping last vector");
        }
        w.Close();
    }

    /// <summary>
    /// <see cref="EmitRowMap"/> over the columns [c0, c1) (runtime values in scope): c0 is a multiple of the lanes, and c1
    /// is too or is <paramref name="n"/> with at least one whole vector in the range (see <see cref="ColumnShare"/>), so
    /// the overlapping last vector stays inside the range and each element is computed as over all columns.
    /// </summary>
    public static void EmitRowMapRange(CodeWriter w, VectorTarget t, int n, Func<VectorTarget, string, string, string> body)
    {
        w.Open("for (nint r = 0; r < rows; r++)");
        w.Line($"nint row = r * {Int(n)};");
        if (t.IsScalar || n < t.Lanes)
        {
            w.Line($"for (nint c = c0; c < c1; c++) {body(VectorTarget.Scalar, "row + c", "c")}");
        }
        else
        {
            w.Line("nint c = c0;");
            w.Line($"for (; c <= c1 - {Int(t.Lanes)}; c += {Int(t.Lanes)}) {body(t, "row + c", "c")}");
            if (n % t.Lanes != 0) w.Line($"if (c < c1) {{ c = c1 - {Int(t.Lanes)}; {body(t, "row + c", "c")} }} // overlapping last vector");
        }
        w.Close();
    }

    /// <summary>
    /// <see cref="EmitRowMapRange"/> for a body of several statements (<paramref name="body"/> writes them, given the target, the
    /// element offset and the column offset): the same elements, the body as a block, again in the overlapping last vector. The loops
    /// are do-whiles (rows ≥ 1 and a share holds at least one whole vector, or one column): the JIT then gives each a preheader and
    /// moves the loop-invariant broadcasts out (with for loops it kept them, and reloaded spilled pointers, in the inner loop).
    /// </summary>
    public static void EmitRowBlocksRange(CodeWriter w, VectorTarget t, int n, Action<VectorTarget, string, string> body)
    {
        w.Open();
        w.Line("nint r = 0;");
        w.Open("do");
        w.Line($"nint row = r * {Int(n)};");
        w.Line("nint c = c0;");
        w.Open("do");
        bool vectors = !t.IsScalar && n >= t.Lanes;
        body(vectors ? t : VectorTarget.Scalar, "row + c", "c");
        w.Close(vectors ? $" while ((c += {Int(t.Lanes)}) <= c1 - {Int(t.Lanes)});" : " while (++c < c1);");
        if (vectors && n % t.Lanes != 0)
        {
            w.Open("if (c < c1)");
            w.Line($"c = c1 - {Int(t.Lanes)}; // overlapping last vector");
            body(t, "row + c", "c");
            w.Close();
        }
        w.Close(" while (++r < rows);");
        w.Close();
    }

    /// <summary><see cref="EmitColumns"/> over the columns [c0, c1): whole vectors below the last whole vector of the layer,
    /// then its tail columns one by one (only in the share that ends at <paramref name="n"/>).</summary>
    public static void EmitColumnsRange(CodeWriter w, VectorTarget t, int n, Action<VectorTarget, string> body)
    {
        w.Open();
        w.Line("nint c = c0;");
        if (!t.IsScalar && n >= t.Lanes)
        {
            w.Open($"for (; c <= c1 - {Int(t.Lanes)} && c < {Int(n / t.Lanes * t.Lanes)}; c += {Int(t.Lanes)})");
            body(t, "c");
            w.Close();
        }
        if (t.IsScalar || n % t.Lanes != 0)
        {
            w.Open("for (; c < c1; c++)");
            body(VectorTarget.Scalar, "c");
            w.Close();
        }
        w.Close();
    }

    /// <summary>Statements that set c0, c1 to this part's share of <paramref name="n"/> columns, in whole vectors (the tail with
    /// the last vector), and run <paramref name="call"/> when the share is not empty.</summary>
    public static void ColumnShare(CodeWriter w, VectorTarget t, int n, string call)
    {
        bool vectors = !t.IsScalar && n >= t.Lanes;
        int units = vectors ? n / t.Lanes : n, step = vectors ? t.Lanes : 1;
        w.Line($"(int u0, int u1) = WorkerPool.Range({Int(units)}, part, parts);");
        w.Line($"if (u0 < u1) {call.Replace("COLUMNS", $"u0 * {Int(step)}, u1 == {Int(units)} ? {Int(n)} : u1 * {Int(step)}")};");
    }

    /// <summary>
    /// Per-column work over <paramref name="n"/> columns: whole vectors, then the remaining columns one by one
    /// (for reductions, which must see each column once). The body emits its own statements.
    /// </summary>
    public static void EmitColumns(CodeWriter w, VectorTarget t, int n, Action<VectorTarget, string> body)
    {
        w.Open();
        w.Line("nint c = 0;");
        if (!t.IsScalar && n >= t.Lanes)
        {
            w.Open($"for (; c <= {Int(n - t.Lanes)}; c += {Int(t.Lanes)})");
            body(t, "c");
            w.Close();
        }
        if (t.IsScalar || n % t.Lanes != 0)
        {
            w.Open($"for (; c < {Int(n)}; c++)");
            body(VectorTarget.Scalar, "c");
            w.Close();
        }
        w.Close();
    }
}
