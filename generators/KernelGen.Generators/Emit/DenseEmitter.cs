using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Kernels of one dense node, for every target: forward <c>Y = f(X·Wᵀ + b)</c>, weight gradient
/// <c>dW = dZᵀ·X</c> (+ <c>db</c>), input gradient <c>dX = dZ·W</c> with the previous layer's f′ fused.
/// Shapes are literals; the row count is the only runtime bound.
/// </summary>
internal sealed partial class DenseEmitter : LayerEmitter
{
    public DenseEmitter(LayerSpec layer, Node? node) : base(layer, node) { }

    public override string Summary => $"Dense {Int(Layer.Outputs)}";
    public override bool InfoBias => Layer.Bias;

    public override IEnumerable<string> InfoSettings
    {
        get
        {
            if (Layer.Init == InitKind.Constant) yield return $"InitValue = {Float(Layer.InitValue)}";
            if (Layer.Pieces > 1) yield return $"Pieces = {Int(Layer.Pieces)}";
        }
    }

    public override string? ModulePrefix => "fc";

    public override IEnumerable<TensorDecl> Tensors(string module)
    {
        Node n = Node;
        yield return new TensorDecl(module + ".weight", "Weight", n.Layer.Index, false, n.WConst, new[] { n.Outputs, n.Inputs }, true);
        if (n.Layer.Bias) yield return new TensorDecl(module + ".bias", "Bias", n.Layer.Index, false, n.BConst, new[] { n.Outputs }, false);
    }

    public override void EmitParameterConstants(CodeWriter w)
    {
        Node n = Node;
        int units = n.Outputs / n.Layer.Pieces;
        string pieces = n.Layer.Pieces > 1 ? $" ({Int(n.Layer.Pieces)} maxout pieces of {Int(units)} units: row j·{Int(units)} + u is piece j of unit u)" : string.Empty;
        w.Line($"internal const int {n.WConst} = {Int(n.WeightOffset)}; // [{Int(n.Outputs)} × {Int(n.Inputs)}] weights of {n.Name}, row-major [out, in]{pieces}");
        if (n.Layer.Bias) w.Line($"internal const int {n.BConst} = {Int(n.BiasOffset)}; // [{Int(n.Outputs)}] bias of {n.Name}");
    }

    public override void EmitInitialization(CodeWriter w)
    {
        Node n = Node;
        w.Open();
        w.Line($"var rng = new global::KernelGen.Runtime.Rng(s, {Int(n.Layer.Index)});");
        w.Line($"global::KernelGen.Runtime.Initializers.Fill(_parameters.Slice({n.WConst}, {Int(n.Inputs * n.Outputs)}), global::KernelGen.Init.{n.Layer.Init},");
        w.Line($"    {Int(n.Inputs)}, {Int(n.Outputs)}, ref rng, {Float(n.Layer.InitValue)});");
        w.Close();
    }

    public override long ForwardFlopsPerRow => 2L * Node.Inputs * Node.Outputs;

    public override string ForwardCall(VectorTarget t, string input, string train, string drop, bool rowOffset = false)
    {
        Node n = Node;
        string y = RefAt("ws", rowOffset ? $"{n.OutputConst} + r0 * {Int(n.Outputs)}" : n.OutputConst);
        // Training (not the inference walk's canonical fallback, which passes rowOffset): the outer-product kernel over the
        // packed weights, which the optimizer's update writes (or RepackTraining rebuilds); the scalar width reads the canonical layout.
        // A node keeping f′ (GELU, SiLU fused) or a fused PReLU's pre-activation writes it in training; inference passes a null
        // reference (nothing kept).
        string fd = n.KeepsForBackward ? n.KeptArgument(inference: rowOffset) : string.Empty;
        string canonical = CanonicalForward(t, input, y, fd, "rows");
        if (!t.IsScalar && !rowOffset && IsTrainingPacked(n))
            return $"if (rows >= {TrainingPackedRowsConst}) {PackedTraining(t, input, y, fd, "rows")}; else {canonical}";
        return canonical;
    }

    /// <summary>The canonical forward kernel's call on <paramref name="count"/> rows (<paramref name="fd"/>: where f′ or the fused
    /// PReLU's pre-activation goes, or empty when the node keeps none).</summary>
    private string CanonicalForward(VectorTarget t, string input, string y, string fd, string count, string share = "")
        => $"{Node.KernelName}_Forward_{t.Suffix}({input}, {RefAt("p", Node.WConst)}, {(Node.Layer.Bias ? RefAt("p", Node.BConst) + ", " : string.Empty)}{AlphaArgument(Node)}{y}, {(fd.Length > 0 ? fd + ", " : string.Empty)}{count}{(share.Length > 0 ? ", " + share : string.Empty)})";

    /// <summary>The fused PReLU's α (its parameters) as the argument after the bias, or nothing.</summary>
    internal static string AlphaArgument(Node n) => n.FusedPReLU is Node pr ? RefAt("p", pr.WConst) + ", " : string.Empty;

    /// <summary>The packed kernel's call on <paramref name="count"/> rows over the training forward's packed copy: a node keeping f′
    /// runs its panel kernel over all panels (the inference kernel keeps nothing).</summary>
    private string PackedTraining(VectorTarget t, string input, string y, string fd, string count)
        => fd.Length > 0
            ? $"{Node.KernelName}_PackedPanels_{t.Suffix}({input}, {RefAt("f", TrainingPackedConst(Node))}, {AlphaArgument(Node)}{y}, {fd}, {count}, 0, {Int(Panels(Node, t))})"
            : $"{Node.KernelName}_Packed_{t.Suffix}({input}, {RefAt("f", TrainingPackedConst(Node))}, {AlphaArgument(Node)}{y}, {count})";

    public override string? BackwardCall(VectorTarget t)
        => Call(Node, "BackwardWeights", t) + ";" + (Node.NeedsInputGradient ? " " + Call(Node, "BackwardInput", t) + ";" : string.Empty);

    /// <summary>The call of one dense kernel (Forward, BackwardWeights, BackwardInput) on the whole batch (x, ws, p, g, rows in scope).</summary>
    public static string Call(Node n, string pass, VectorTarget t)
    {
        Node? prev = n.Previous;
        switch (pass)
        {
            case "Forward":
                return For(n).ForwardCall(t, Input(n), "train", "drop");
            case "BackwardWeights":
                string decay = n.DecayInGradient ? RefAt("p", n.WConst) + ", lambda, " : string.Empty;
                return $"{n.KernelName}_BackwardWeights_{t.Suffix}({Input(n)}, {RefAt("ws", n.DConst)}, {RefAt("g", n.WConst)}, "
                    + $"{(n.Layer.Bias ? RefAt("g", n.BConst) + ", " : string.Empty)}{decay}{RefAt("g", GradientCheckEmitter.Slot)}, rows, {Int(n.Outputs)})";
            case "BackwardInput":
                string yp = prev!.GradientIncludesDerivative ? RefAt("ws", prev.DerivativeSource) + ", " : string.Empty;
                return $"{n.KernelName}_BackwardInput_{t.Suffix}({RefAt("ws", n.DConst)}, {RefAt("p", n.WConst)}, {RefAt("ws", prev.DConst)}, {yp}rows)";
            default:
                throw new GeneratorBugException("dense pass " + pass);
        }
    }

    public override string ForwardPhase(int phase) => $"Parallel({Int(phase)}, {Long(ForwardFlopsPerRow)}L * rows); // {Node.Name} forward";

    public override string? BackwardPhase(int phase)
        => $"Parallel({Int(phase)}, {Long(ForwardFlopsPerRow * (Node.NeedsInputGradient ? 2 : 1))}L * rows); // {Node.Name} dW{(Node.NeedsInputGradient ? " and dX" : string.Empty)}";

    /// <summary>Forward and dX: a share of the rows; dW: a share of whole output tiles (each thread owns whole rows of dW).</summary>
    public override void EmitParts(CodeWriter w, VectorTarget t, int forward, int backward)
    {
        Node n = Node;
        int k = n.Inputs, m = n.Outputs;
        Node? prev = n.Previous;
        string input(string r) => prev is null ? $"ref {VectorTarget.Unsafe}.Add(ref x, {r} * {Int(k)})" : RefAt("ws", $"{prev.YConst} + {r} * {Int(k)}");
        w.Open($"case {Int(forward)}:");
        string yShare = RefAt("ws", $"{n.OutputConst} + a * {Int(m)}");
        string fdShare = n.KeepsForBackward ? n.KeptArgument(false, $" + a * {Int(m)}") : string.Empty;
        string canonicalShare = CanonicalForward(t, input("a"), yShare, fdShare, "b - a") + ";";
        if (!t.IsScalar && IsTrainingPacked(n))
        {
            // The kernel is chosen by the whole batch's rows, so every thread count runs the same one (bit-identical results).
            // Packed: a share of the output panels for every row — the panels a thread repacked after its share of the update
            // (the same contiguous outputs for 8 chunks of 256 outputs), so W, its packed copy and y stay in that core's cache.
            int panels = Panels(n, t);
            w.Open($"if (rows >= {TrainingPackedRowsConst})");
            w.Line($"(int q0, int q1) = WorkerPool.Range({Int(panels)}, part, parts);");
            string fd = n.KeepsForBackward ? n.KeptArgument(false) + ", " : string.Empty;
            w.Line($"if (q0 < q1) {n.KernelName}_PackedPanels_{t.Suffix}({input("0")}, {RefAt("f", TrainingPackedConst(n))}, {AlphaArgument(n)}{RefAt("ws", n.OutputConst)}, {fd}rows, q0, q1);");
            w.Line("break;");
            w.Close();
        }
        // Canonical: a layer wider than the batch splits its outputs (each thread reads its share of W and all of x, rather
        // than all of W and its share of x: less to read when outputs > rows), else its rows.
        w.Open($"if (rows < {Int(m)})");
        w.Line(CanonicalForward(t, input("0"), RefAt("ws", n.OutputConst), n.KeepsForBackward ? n.KeptArgument(false) : string.Empty, "rows", "part, parts") + ";");
        w.Line("break;");
        w.Close();
        w.Line("(int a, int b) = WorkerPool.Rows(rows, part, parts);");
        w.Line($"if (a < b) {canonicalShare}");
        w.Line("break;");
        w.Close();
        int tile = WeightTile(n, t), tiles = (m + tile - 1) / tile;
        w.Open($"case {Int(backward)}:");
        w.Line($"// dW by output tiles of {Int(tile)}: {Int(tiles)} tiles shared out.");
        w.Line($"(int u0, int u1) = WorkerPool.Range({Int(tiles)}, part, parts);");
        w.Line($"int o0 = u0 * {Int(tile)}, o1 = Math.Min(u1 * {Int(tile)}, {Int(m)});");
        string decay = n.DecayInGradient ? RefAt("p", $"{n.WConst} + o0 * {Int(k)}") + ", lambda, " : string.Empty;
        w.Line($"if (o0 < o1) {n.KernelName}_BackwardWeights_{t.Suffix}({input("0")}, {RefAt("ws", $"{n.DConst} + o0")}, {RefAt("g", $"{n.WConst} + o0 * {Int(k)}")}, "
            + $"{(n.Layer.Bias ? RefAt("g", $"{n.BConst} + o0") + ", " : string.Empty)}{decay}{RefAt("g", GradientCheckEmitter.Slot)}, rows, o1 - o0);");
        if (n.NeedsInputGradient)
        {
            string yp = prev!.GradientIncludesDerivative ? RefAt("ws", $"{prev.DerivativeSource} + a * {Int(k)}") + ", " : string.Empty;
            w.Line("(int a, int b) = WorkerPool.Rows(rows, part, parts);");
            w.Line($"if (a < b) {n.KernelName}_BackwardInput_{t.Suffix}({RefAt("ws", $"{n.DConst} + a * {Int(m)}")}, {RefAt("p", n.WConst)}, {RefAt("ws", $"{prev.DConst} + a * {Int(k)}")}, {yp}b - a);");
        }
        w.Line("break;");
        w.Close();
    }

    /// <summary>Dense_{inputs}x{outputs}, then _NoBias and the fused activation where there is one.</summary>
    public override string Signature => Shape(Node.Inputs, Node.Outputs, Node.Layer.Bias, Node.Activation) + (Node.FusedPReLU is null ? string.Empty : "_PReLU");

    public override void EmitKernels(CodeWriter w, IReadOnlyList<VectorTarget> targets) => Emit(w, Node, targets);

    /// <summary>The folded forward kernel's signature: a dense layer with a bias and the batch norm's activation.</summary>
    public static string FoldedSignature(Node node) => Shape(node.Inputs, node.Outputs, true, node.FoldedInto!.Activation);

    private static string Shape(int inputs, int outputs, bool bias, ActKind act)
        => $"Dense_{Int(inputs)}x{Int(outputs)}{(bias ? string.Empty : "_NoBias")}{(act == ActKind.Identity ? string.Empty : "_" + act)}";

    // Register blocking comes from the target (VectorTarget.Tiles: 16 vector registers for Vector128/256 on
    // x64, 32 for Vector512), reduced per shape where a dimension is smaller than the tile.
    // A lone row (batch 1, or the rows left over after the full row tiles) takes 8 outputs at once instead:
    // 8 independent accumulators keep both FMA pipes busy through the FMA latency (GEMV shape).
    private const int SingleRowOutputBlock = 8;

    public static void Emit(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        foreach (VectorTarget t in targets) EmitForward(w, node, t);
        if (IsPacked(node))
        {
            foreach (VectorTarget t in targets.Where(t => !t.IsScalar)) EmitPacked(w, node, t);
        }
        if (IsTrainingPacked(node))
        {
            foreach (VectorTarget t in targets.Where(t => !t.IsScalar)) EmitPackedPanels(w, node, t);
        }
        foreach (VectorTarget t in targets) EmitBackwardWeights(w, node, t);
        if (node.NeedsInputGradient)
        {
            foreach (VectorTarget t in targets) EmitBackwardInput(w, node, t);
        }
    }

    /// <summary>
    /// The forward kernel Predict uses when a batch norm follows this layer: the same tiles, with the folded
    /// weights W′ = W·γ/σ, a bias b′ = (b − μ)·γ/σ + β and the activation after the batch norm fused.
    /// </summary>
    public static void EmitFolded(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        Node bn = node.FoldedInto ?? throw new InvalidOperationException("bug: " + node.Name + " has no batch norm to fold");
        var shadow = new Node
        {
            Number = node.Number, Layer = node.Layer with { Bias = true }, FusedActivation = bn.FusedActivation,
            Previous = node.Previous, Plan = node.Plan, NameOverride = node.Name + "_Folded", KernelName = node.FoldedKernelName,
        };
        w.Line($"// {node.Name} with {bn.Name} (BatchNorm) folded in, for Predict and Evaluate: W′ = W·γ/√(σ²+ε) per output row, b′ = (b − μ)·γ/√(σ²+ε) + β (running statistics).");
        // Predict runs the packed kernels at every vector width; the scalar width runs this folded forward.
        if (!IsPacked(node))
        {
            foreach (VectorTarget t in targets) EmitForward(w, shadow, t);
            return;
        }
        EmitForward(w, shadow, VectorTarget.Scalar);
        foreach (VectorTarget t in targets.Where(t => !t.IsScalar)) EmitPacked(w, shadow, t);
    }

    private static string Describe(Node node)
    {
        string act = node.FusedActivation is null ? string.Empty : $" + {node.Activation} (L{Int(node.FusedActivation.Index)})";
        if (node.FusedPReLU is Node pr) act = $" + PReLU ({pr.Name}, α per unit)";
        return $"{node.Name} · Dense {Int(node.Inputs)} → {Int(node.Outputs)} · {(node.Layer.Bias ? "bias" : "no bias")}{act}";
    }

    /// <summary><c>(e + k)</c>, or just <c>e</c> when k is 0 (<paramref name="bare"/>: no parentheses, for a sum's last term).</summary>
    private static string Plus(string e, int k, bool bare = false) => k == 0 ? e : bare ? $"{e} + {Int(k)}" : $"({e} + {Int(k)})";

    private static string Act(Node node, string x) => NetworkPlan.Invoke(node.Activation, node.Alpha, VectorTarget.Scalar, x);

    /// <summary>f(x) of a node keeping f′, with f′ into the out declaration <paramref name="outDeclaration"/> (one evaluation for both).</summary>
    private static string KeepInvoke(Node node, string x, string outDeclaration) => $"{NetworkPlan.Operator(node.Activation)}.Invoke({x}, out {outDeclaration})";

    // ---------------------------------------------------------------- forward

    private static void EmitForward(CodeWriter w, Node node, VectorTarget t)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes;
        bool bias = node.Layer.Bias;
        w.Line($"/// <summary>{Describe(node)}. Forward, {t.IsaName}.</summary>");
        bool prelu = node.FusedPReLU is not null, keep = node.KeepsForBackward;
        string kept = prelu ? "the pre-activation (the PReLU backward's input)" : $"{node.Activation}′ at the pre-activation";
        w.Line($"// x: [rows × {Int(k)}], w: [{Int(n)} × {Int(k)}], {(bias ? $"b: [{Int(n)}], " : string.Empty)}{(prelu ? $"alpha: [{Int(n)}], " : string.Empty)}y: [rows × {Int(n)}]"
            + (keep ? $", fd: [rows × {Int(n)}] {kept} for the backward (training; a null reference keeps nothing)." : "."));
        w.Line($"// part / parts: this call's share of the outputs, for every row (threads splitting a layer wider than the batch); each");
        w.Line("// output is the same dot product whatever the share, so the bits do not depend on it.");
        w.Line(Aggressive);
        string alphaP = prelu ? "ref float alpha, " : string.Empty, alphaA = prelu ? "ref alpha, " : string.Empty;
        w.Open($"private static void {node.KernelName}_Forward_{t.Suffix}(ref float x, ref float w, {(bias ? "ref float b, " : string.Empty)}{alphaP}ref float y, {(keep ? "ref float fd, " : string.Empty)}int rows, int part = 0, int parts = 1)");
        if (!t.IsScalar && k < lanes)
        {
            w.Line($"// {Int(k)} inputs < {Int(lanes)} lanes: the scalar body does this layer.");
            w.Line($"{node.KernelName}_Forward_Scalar(ref x, ref w, {(bias ? "ref b, " : string.Empty)}{alphaA}ref y, {(keep ? "ref fd, " : string.Empty)}rows, part, parts);");
            w.Close();
            w.Line();
            return;
        }
        if (t.IsScalar)
        {
            if (keep) w.Line($"bool keep = !{VectorTarget.Unsafe}.IsNullRef(ref fd);");
            w.Line($"(int o0, int o1) = parts == 1 ? (0, {Int(n)}) : global::KernelGen.Runtime.WorkerPool.Range({Int(n)}, part, parts);");
            w.Open("for (nint r = 0; r < rows; r++)");
            w.Open("for (nint o = o0; o < o1; o++)");
            w.Line($"float s = {(bias ? VectorTarget.At("b", "o") : "0f")};");
            w.Line($"for (nint i = 0; i < {Int(k)}; i++) s += {VectorTarget.At("x", $"r * {Int(k)} + i")} * {VectorTarget.At("w", $"o * {Int(k)} + i")};");
            if (prelu)
            {
                w.Line($"{VectorTarget.At("y", $"r * {Int(n)} + o")} = {NetworkPlan.InvokeWithAlpha("s", VectorTarget.At("alpha", "o"))};");
                w.Line($"if (keep) {VectorTarget.At("fd", $"r * {Int(n)} + o")} = s;");
            }
            else if (keep)
            {
                w.Line($"{VectorTarget.At("y", $"r * {Int(n)} + o")} = {KeepInvoke(node, "s", "float f")};");
                w.Line($"if (keep) {VectorTarget.At("fd", $"r * {Int(n)} + o")} = f;");
            }
            else
                w.Line($"{VectorTarget.At("y", $"r * {Int(n)} + o")} = {Act(node, "s")};");
            w.Close();
            w.Close();
            w.Close();
            w.Line();
            return;
        }
        int full = k / lanes * lanes, tail = k % lanes;
        Tiles tiles = t.Tiles;
        // Per shape: a layer narrower than the tile takes all its outputs per tile and more rows instead.
        int tileOutputs = Math.Min(tiles.ForwardOutputs, n);
        int rowBlock = tileOutputs == tiles.ForwardOutputs ? tiles.ForwardRows : Math.Min(8, (tiles.Registers - 1 - tileOutputs) / tileOutputs);
        w.Line($"// {Int(k)} = {Int(k / lanes)} × {Int(lanes)} lanes{(tail == 0 ? ": no tail." : $" + {Int(tail)}: the last vector overlaps, its first {Int(lanes - tail)} lanes masked to zero.")}");
        w.Line($"// Register blocking for {Int(tiles.Registers)} vector registers: tile {Int(rowBlock)} rows × {Int(tileOutputs)} outputs = {Int(rowBlock * tileOutputs)} dot-product accumulators + {Int(tileOutputs + 1)} operands, summed across lanes once;");
        w.Line($"// leftover rows one at a time × {Int(SingleRowOutputBlock)} outputs ({Int(SingleRowOutputBlock)} accumulators hide the FMA latency).");
        if (tail != 0) w.Line($"{t.Type} tail = {t.KeepLastLanes(tail)};");
        if (prelu) w.Line($"bool keep = !{VectorTarget.Unsafe}.IsNullRef(ref fd); // training: the pre-activation too");
        bool map = HeavyActivation(node.Activation);
        if (map)
            w.Line($"// The tiles store the pre-activations; {node.Activation} then runs over each block's rows in vectors ({node.KernelName}_Activate_{t.Suffix}).");
        string Activate(string at, string count)
            => $"{node.KernelName}_Activate_{t.Suffix}(ref y, {(node.KeepsDerivative ? "ref fd, " : string.Empty)}{at}, {count});";
        // The share of the outputs: whole tiles for the row blocks, whole blocks of SingleRowOutputBlock for lone rows.
        int tileUnits = (n + tileOutputs - 1) / tileOutputs, singleUnits = (n + SingleRowOutputBlock - 1) / SingleRowOutputBlock;
        w.Line($"nint o0 = 0, o1 = {Int(n)}, s0 = 0, s1 = {Int(n)}; // this share's outputs: [o0, o1) in the row blocks, [s0, s1) in lone rows");
        w.Open("if (parts != 1)");
        w.Line($"(int u0, int u1) = global::KernelGen.Runtime.WorkerPool.Range({Int(tileUnits)}, part, parts);");
        w.Line($"o0 = Math.Min(u0 * {Int(tileOutputs)}, {Int(n)}); o1 = Math.Min(u1 * {Int(tileOutputs)}, {Int(n)});");
        w.Line($"(u0, u1) = global::KernelGen.Runtime.WorkerPool.Range({Int(singleUnits)}, part, parts);");
        w.Line($"s0 = Math.Min(u0 * {Int(SingleRowOutputBlock)}, {Int(n)}); s1 = Math.Min(u1 * {Int(SingleRowOutputBlock)}, {Int(n)});");
        w.Close();
        w.Line("nint r = 0;");
        w.Open($"for (; r <= rows - {Int(rowBlock)}; r += {Int(rowBlock)})");
        EmitForwardRows(w, node, t, rowBlock, tileOutputs, full, tail, "o0", "o1");
        if (map)
        {
            w.Line($"if (parts == 1) {Activate($"r * {Int(n)}", Int(rowBlock * n))}");
            w.Line($"else for (nint q = r; q < r + {Int(rowBlock)}; q++) {Activate($"q * {Int(n)} + o0", "o1 - o0")}");
        }
        w.Close();
        w.Open("for (; r < rows; r++)");
        EmitForwardRows(w, node, t, 1, tileOutputs, full, tail, "s0", "s1");
        if (map) w.Line(Activate($"r * {Int(n)} + s0", "s1 - s0"));
        w.Close();
        w.Close();
        w.Line();
        if (map) EmitActivate(w, node, t);
    }

    /// <summary>
    /// Activations other than identity, ReLU and LeakyReLU (<see cref="HeavyActivation"/>) in the canonical kernels: the tiles store
    /// z = x·w + b and this runs f over a block's rows in place, in vectors (with f′ into fd where the node keeps it). Applied per
    /// accumulator after the lane sums, f ran as scalar code — 25 inlined copies (Dense_784x256_GELU_Forward_V512 was 29 KB of
    /// machine code), each ≈ 8× slower per element than the vector form. The last vector is computed first and stored last, so the
    /// overlap it shares with the loop's vectors is written twice with the same values (from the same z).
    /// </summary>
    private static void EmitActivate(CodeWriter w, Node node, VectorTarget t)
    {
        bool keep = node.KeepsDerivative;
        int lanes = t.Lanes;
        string op = NetworkPlan.Operator(node.Activation);
        string F(string z, string outName) => keep ? $"{op}.Invoke({z}, out {t.Type} {outName})" : NetworkPlan.Invoke(node.Activation, node.Alpha, t, z);
        w.Line($"/// <summary>{Describe(node)}: {node.Activation} in place over y[at, at + count){(keep ? $", {node.Activation}′ into fd (unless a null reference)" : string.Empty)}, {t.IsaName}.</summary>");
        w.Line(Aggressive);
        w.Open($"private static void {node.KernelName}_Activate_{t.Suffix}(ref float y, {(keep ? "ref float fd, " : string.Empty)}nint at, nint count)");
        if (keep) w.Line($"bool keep = !{VectorTarget.Unsafe}.IsNullRef(ref fd);");
        w.Open($"if (count < {Int(lanes)})");
        // A run shorter than a vector (a narrow layer, or a thread's share of a row's outputs) goes through one vector on the
        // stack: every element takes the vector form, whichever run it falls in (the scalar form rounds differently), so the
        // bits do not depend on how the threads split the outputs.
        string u = VectorTarget.Unsafe;
        w.Line($"{t.Type} z = {t.Zero};");
        w.Line($"ref float zs = ref {u}.As<{t.Type}, float>(ref z);");
        w.Line($"for (nint i = 0; i < count; i++) {u}.Add(ref zs, i) = {VectorTarget.At("y", "at + i")};");
        w.Line($"{t.Type} v = {F("z", "f")};");
        w.Line($"ref float vs = ref {u}.As<{t.Type}, float>(ref v);");
        w.Line($"for (nint i = 0; i < count; i++) {VectorTarget.At("y", "at + i")} = {u}.Add(ref vs, i);");
        if (keep)
        {
            w.Line($"ref float fs = ref {u}.As<{t.Type}, float>(ref f);");
            w.Line($"if (keep) for (nint i = 0; i < count; i++) {VectorTarget.At("fd", "at + i")} = {u}.Add(ref fs, i);");
        }
        w.Line("return;");
        w.Close();
        w.Line($"nint last = at + count - {Int(lanes)};");
        w.Line($"{t.Type} yl = {F(t.Load("y", "last"), "fl")};");
        w.Open($"for (nint i = at; i < last; i += {Int(lanes)})");
        w.Line($"{t.Type} v = {F(t.Load("y", "i"), "f")};");
        w.Line(t.Store("v", "y", "i"));
        if (keep) w.Line($"if (keep) {t.Store("f", "fd", "i")}");
        w.Close();
        w.Line(t.Store("yl", "y", "last"));
        if (keep) w.Line($"if (keep) {t.Store("fl", "fd", "last")}");
        w.Close();
        w.Line();
    }

    /// <summary>The tiles of <paramref name="rowsInBlock"/> rows over the outputs [<paramref name="lo"/>, <paramref name="hi"/>): lo a
    /// multiple of the output block, hi one too or the layer's width (then the short last block is this share's).</summary>
    private static void EmitForwardRows(CodeWriter w, Node node, VectorTarget t, int rowsInBlock, int tileOutputs, int full, int tail, string lo, string hi)
    {
        int n = node.Outputs;
        int outputBlock = rowsInBlock == 1 ? SingleRowOutputBlock : tileOutputs;
        int blocked = n / outputBlock * outputBlock;
        if (blocked > 0)
        {
            w.Open($"for (nint o = {lo}, end = Math.Min({hi}, {Int(blocked)}); o < end; o += {Int(outputBlock)})");
            EmitForwardTile(w, node, t, rowsInBlock, outputBlock, "o", full, tail);
            w.Close();
        }
        if (n % outputBlock != 0)
        {
            w.Open($"if ({hi} == {Int(n)} && {lo} <= {Int(blocked)})");
            EmitForwardTile(w, node, t, rowsInBlock, n % outputBlock, Int(blocked), full, tail);
            w.Close();
        }
    }

    private static void EmitForwardTile(CodeWriter w, Node node, VectorTarget t, int rowsInTile, int outputs, string o, int full, int tail)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes;
        for (int i = 0; i < rowsInTile; i++)
            w.Line($"{t.Type} {string.Join(", ", Enumerable.Range(0, outputs).Select(j => $"a{i}{j} = {t.Zero}"))};");
        void Step(string kExpr, bool masked)
        {
            // Weights first, then one input row at a time: only one x vector is live, so a tile needs
            // rows × outputs accumulators + outputs + 1 registers.
            for (int j = 0; j < outputs; j++)
                w.Line($"{t.Type} w{j} = {t.Load("w", $"{Plus(o, j)} * {Int(k)} + {kExpr}")};");
            for (int i = 0; i < rowsInTile; i++)
            {
                w.Line($"{t.Type} x{i} = {t.Load("x", $"{Plus("r", i)} * {Int(k)} + {kExpr}")}{(masked ? " & tail" : string.Empty)};");
                for (int j = 0; j < outputs; j++) w.Line($"a{i}{j} = {t.MultiplyAdd($"x{i}", $"w{j}", $"a{i}{j}")};");
            }
        }
        if (full > 0)
        {
            w.Open($"for (nint k = 0; k < {Int(full)}; k += {Int(lanes)})");
            Step("k", false);
            w.Close();
        }
        if (tail != 0)
        {
            w.Open();
            Step(Int(k - lanes), true);
            w.Close();
        }
        for (int i = 0; i < rowsInTile; i++)
            for (int j = 0; j < outputs; j++)
            {
                string bias = node.Layer.Bias ? " + " + VectorTarget.At("b", Plus(o, j, bare: true)) : string.Empty;
                string at = $"{Plus("r", i)} * {Int(n)} + {Plus(o, j, bare: true)}";
                if (HeavyActivation(node.Activation)) // z now, f in vectors after the block (Activate)
                    w.Line($"{VectorTarget.At("y", at)} = {t.Sum($"a{i}{j}") + bias};");
                else if (node.FusedPReLU is not null) // α of this output; the pre-activation kept in training
                    w.Line($"{{ float z = {t.Sum($"a{i}{j}") + bias}; {VectorTarget.At("y", at)} = {NetworkPlan.InvokeWithAlpha("z", VectorTarget.At("alpha", Plus(o, j, bare: true)))}; if (keep) {VectorTarget.At("fd", at)} = z; }}");
                else
                    w.Line($"{VectorTarget.At("y", at)} = {Act(node, t.Sum($"a{i}{j}") + bias)};");
            }
    }

    /// <summary>An expression in parentheses unless it is a plain name or number.</summary>
    private static string Paren(string e) => e.All(c => char.IsLetterOrDigit(c) || c == '_') ? e : $"({e})";
}

