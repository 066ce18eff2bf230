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
internal sealed class DenseEmitter : LayerEmitter
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
        string y = RefAt("ws", rowOffset ? $"{n.YConst} + r0 * {Int(n.Outputs)}" : n.YConst);
        return $"{n.KernelName}_Forward_{t.Suffix}({input}, {RefAt("p", n.WConst)}, {(n.Layer.Bias ? RefAt("p", n.BConst) + ", " : string.Empty)}{y}, rows)";
    }

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
                    + $"{(n.Layer.Bias ? RefAt("g", n.BConst) + ", " : string.Empty)}{decay}rows, {Int(n.Outputs)})";
            case "BackwardInput":
                string yp = prev!.GradientIncludesDerivative ? RefAt("ws", prev.YConst) + ", " : string.Empty;
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
        w.Line("(int a, int b) = WorkerPool.Range(rows, part, parts);");
        w.Line($"if (a < b) {n.KernelName}_Forward_{t.Suffix}({input("a")}, {RefAt("p", n.WConst)}, {(n.Layer.Bias ? RefAt("p", n.BConst) + ", " : string.Empty)}{RefAt("ws", $"{n.YConst} + a * {Int(m)}")}, b - a);");
        w.Line("break;");
        w.Close();
        int tile = WeightTile(n, t), tiles = (m + tile - 1) / tile;
        w.Open($"case {Int(backward)}:");
        w.Line($"// dW by output tiles of {Int(tile)}: {Int(tiles)} tiles shared out.");
        w.Line($"(int u0, int u1) = WorkerPool.Range({Int(tiles)}, part, parts);");
        w.Line($"int o0 = u0 * {Int(tile)}, o1 = Math.Min(u1 * {Int(tile)}, {Int(m)});");
        string decay = n.DecayInGradient ? RefAt("p", $"{n.WConst} + o0 * {Int(k)}") + ", lambda, " : string.Empty;
        w.Line($"if (o0 < o1) {n.KernelName}_BackwardWeights_{t.Suffix}({input("0")}, {RefAt("ws", $"{n.DConst} + o0")}, {RefAt("g", $"{n.WConst} + o0 * {Int(k)}")}, "
            + $"{(n.Layer.Bias ? RefAt("g", $"{n.BConst} + o0") + ", " : string.Empty)}{decay}rows, o1 - o0);");
        if (n.NeedsInputGradient)
        {
            string yp = prev!.GradientIncludesDerivative ? RefAt("ws", $"{prev.YConst} + a * {Int(k)}") + ", " : string.Empty;
            w.Line("(int a, int b) = WorkerPool.Range(rows, part, parts);");
            w.Line($"if (a < b) {n.KernelName}_BackwardInput_{t.Suffix}({RefAt("ws", $"{n.DConst} + a * {Int(m)}")}, {RefAt("p", n.WConst)}, {RefAt("ws", $"{prev.DConst} + a * {Int(k)}")}, {yp}b - a);");
        }
        w.Line("break;");
        w.Close();
    }

    /// <summary>Dense_{inputs}x{outputs}, then _NoBias and the fused activation where there is one.</summary>
    public override string Signature => Shape(Node.Inputs, Node.Outputs, Node.Layer.Bias, Node.Activation);

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
        return $"{node.Name} · Dense {Int(node.Inputs)} → {Int(node.Outputs)} · {(node.Layer.Bias ? "bias" : "no bias")}{act}";
    }

    /// <summary><c>(e + k)</c>, or just <c>e</c> when k is 0 (<paramref name="bare"/>: no parentheses, for a sum's last term).</summary>
    private static string Plus(string e, int k, bool bare = false) => k == 0 ? e : bare ? $"{e} + {Int(k)}" : $"({e} + {Int(k)})";

    private static string Act(Node node, string x) => NetworkPlan.Invoke(node.Activation, node.Alpha, VectorTarget.Scalar, x);

    // ---------------------------------------------------------------- forward

    private static void EmitForward(CodeWriter w, Node node, VectorTarget t)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes;
        bool bias = node.Layer.Bias;
        w.Line($"/// <summary>{Describe(node)}. Forward, {t.IsaName}.</summary>");
        w.Line($"// x: [rows × {Int(k)}], w: [{Int(n)} × {Int(k)}], {(bias ? $"b: [{Int(n)}], " : string.Empty)}y: [rows × {Int(n)}].");
        w.Line(Aggressive);
        w.Open($"private static void {node.KernelName}_Forward_{t.Suffix}(ref float x, ref float w, {(bias ? "ref float b, " : string.Empty)}ref float y, int rows)");
        if (!t.IsScalar && k < lanes)
        {
            w.Line($"// {Int(k)} inputs < {Int(lanes)} lanes: the scalar body does this layer.");
            w.Line($"{node.KernelName}_Forward_Scalar(ref x, ref w, {(bias ? "ref b, " : string.Empty)}ref y, rows);");
            w.Close();
            w.Line();
            return;
        }
        if (t.IsScalar)
        {
            w.Open("for (nint r = 0; r < rows; r++)");
            w.Open($"for (nint o = 0; o < {Int(n)}; o++)");
            w.Line($"float s = {(bias ? VectorTarget.At("b", "o") : "0f")};");
            w.Line($"for (nint i = 0; i < {Int(k)}; i++) s += {VectorTarget.At("x", $"r * {Int(k)} + i")} * {VectorTarget.At("w", $"o * {Int(k)} + i")};");
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
        w.Line("nint r = 0;");
        w.Open($"for (; r <= rows - {Int(rowBlock)}; r += {Int(rowBlock)})");
        EmitForwardRows(w, node, t, rowBlock, tileOutputs, full, tail);
        w.Close();
        w.Open("for (; r < rows; r++)");
        EmitForwardRows(w, node, t, 1, tileOutputs, full, tail);
        w.Close();
        w.Close();
        w.Line();
    }

    private static void EmitForwardRows(CodeWriter w, Node node, VectorTarget t, int rowsInBlock, int tileOutputs, int full, int tail)
    {
        int n = node.Outputs;
        int outputBlock = rowsInBlock == 1 ? SingleRowOutputBlock : tileOutputs;
        int blocked = n / outputBlock * outputBlock;
        if (blocked > 0)
        {
            w.Open($"for (nint o = 0; o < {Int(blocked)}; o += {Int(outputBlock)})");
            EmitForwardTile(w, node, t, rowsInBlock, outputBlock, "o", full, tail);
            w.Close();
        }
        if (n % outputBlock != 0)
        {
            w.Open();
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
                w.Line($"{VectorTarget.At("y", $"{Plus("r", i)} * {Int(n)} + {Plus(o, j, bare: true)}")} = {Act(node, t.Sum($"a{i}{j}") + bias)};");
            }
    }

    // ---------------------------------------------------------------- packed inference forward

    /// <summary>The node's packed inference weights in the folded block (NetworkLayout.PackedLength floats).</summary>
    public static string PackedConst(Node node) => node.Name + "_Packed";

    public static long PackedOffset(Node node) => node.Plan.Layout.Nodes[node.Number].PackedOffset;

    /// <summary>Whether the node has packed inference weights (every dense node whose copy fits the folded block).</summary>
    public static bool IsPacked(Node node) => node.IsDense && PackedOffset(node) >= 0;

    /// <summary>Panel width of the packed layout at this width: two vectors of outputs.</summary>
    public static int PackedPanel(VectorTarget t) => 2 * t.Lanes;

    /// <summary>Rows of the outer-product tile: rows × 2 vectors of accumulators + 2 weight vectors + 1 broadcast must fit the
    /// vector registers (32 with AVX-512: 8 × 2 + 3 = 19; 16 otherwise: 6 × 2 + 3 = 15), with ≥ 8 independent accumulators.</summary>
    public static int PackedRows(VectorTarget t) => t.Tiles.Registers >= 32 ? 8 : 6;

    /// <summary>A lone row (batch 1, the rows after the last whole tile) takes this many vectors of outputs at once (independent
    /// accumulators through the FMA latency), one weight vector live at a time.</summary>
    private const int PackedSingleRowVectors = 8;

    /// <summary>Weights larger than this (half a typical 1 MB L2; all of W is read once per row block) are blocked over the
    /// outputs instead: panel by panel, each panel read by every row block while it sits in L2.</summary>
    private const int PackedPanelsOuterBytes = 512 * 1024;

    /// <summary>The invocation of the packed kernel for the rows [r0, r0 + rows) of a chunk (Infer_ walk).</summary>
    public static string PackedCall(Node node, string kernelName, VectorTarget t, string input, string output)
        => $"{kernelName}_Packed_{t.Suffix}({input}, {RefAt("f", PackedConst(node))}, {output}, rows)";

    /// <summary>
    /// Predict's forward: y = f(x·Wᵀ + b) as outer products over the packed weights (WeightPacking: bias, then panels of
    /// Wᵀ, k-major): per k, the tile loads its weight vectors and broadcasts one input per row, then FMAs; bias and
    /// activation are applied to the accumulators and stored, with no horizontal sum. Every output element is the same
    /// sequence of FMAs over k whatever tile computes it, so the result does not depend on how rows are split.
    /// </summary>
    private static void EmitPacked(CodeWriter w, Node node, VectorTarget t)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes, nr = PackedPanel(t), mr = PackedRows(t);
        long padded = NetworkLayout.PackedOutputs(n);
        int fullPanels = n / nr, tailOutputs = n % nr;
        w.Line($"/// <summary>{Describe(node)}. Inference forward over packed weights (outer products), {t.IsaName}.</summary>");
        w.Line($"// x: [rows × {Int(k)}], pw: bias [{Int((int)padded)}] then {Int((n + nr - 1) / nr)} panel(s) of [{Int(k)} × {Int(nr)}] (Wᵀ, k-major, zero-padded), y: [rows × {Int(n)}].");
        w.Line($"// Tile {Int(mr)} rows × {Int(nr)} outputs = {Int(2 * mr)} accumulators + 2 weight vectors + 1 broadcast; leftover rows one at a time × up to {Int(PackedSingleRowVectors * lanes)} outputs.");
        bool panelsOuter = (long)k * padded * sizeof(float) > PackedPanelsOuterBytes;
        w.Line(panelsOuter
            ? $"// Weights {Int((int)((long)k * padded * sizeof(float) / 1024))} KB > {Int(PackedPanelsOuterBytes / 1024)} KB: blocked over the outputs — one panel ({Int(k * nr * sizeof(float) / 1024)} KB) stays in L2 while every row block streams past it."
            : $"// Weights {Int((int)((long)k * padded * sizeof(float) / 1024))} KB ≤ {Int(PackedPanelsOuterBytes / 1024)} KB: row blocks outer (their inputs stay in L1), all of W read from L2 per block.");
        w.Line(Aggressive);
        w.Open($"private static void {node.KernelName}_Packed_{t.Suffix}(ref float x, ref float pw, ref float y, int rows)");
        if (panelsOuter)
        {
            w.Line($"nint whole = rows - rows % {Int(mr)}; // rows in whole tiles");
            if (fullPanels > 0)
            {
                w.Open($"for (nint p = 0; p < {Int(fullPanels)}; p++)");
                w.Open($"for (nint r = 0; r < whole; r += {Int(mr)})");
                w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(k)}")};");
                PackedTile(w, node, t, mr, new[] { ("p", 0, lanes), ("p", 1, lanes) });
                w.Close();
                w.Close();
            }
            if (tailOutputs > 0)
            {
                w.Open($"for (nint r = 0; r < whole; r += {Int(mr)})");
                w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(k)}")};");
                PackedTile(w, node, t, mr, TailVectors(fullPanels, tailOutputs, lanes));
                w.Close();
            }
            w.Open("for (nint r = whole; r < rows; r++)");
        }
        else
        {
            w.Line("nint r = 0;");
            w.Open($"for (; r <= rows - {Int(mr)}; r += {Int(mr)})");
            PackedRowBlock(w, node, t, mr, fullPanels, tailOutputs, 2);
            w.Close();
            w.Open("for (; r < rows; r++)");
        }
        PackedRowBlock(w, node, t, 1, fullPanels, tailOutputs, PackedSingleRowVectors);
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>One block of rows: whole panels <paramref name="vectorsPerTile"/>/2 at a time, the rest, then the partial panel.</summary>
    private static void PackedRowBlock(CodeWriter w, Node node, VectorTarget t, int rowsInTile, int fullPanels, int tailOutputs, int vectorsPerTile)
    {
        int k = node.Inputs, lanes = t.Lanes;
        // One reference to the block's first row; the others at constant offsets (one general register for all rows).
        w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(k)}")};");
        int panelsPerTile = Math.Max(1, vectorsPerTile / 2);
        int looped = fullPanels / panelsPerTile * panelsPerTile;
        if (looped > 0)
        {
            w.Open($"for (nint p = 0; p < {Int(looped)}; p += {Int(panelsPerTile)})");
            PackedTile(w, node, t, rowsInTile, Enumerable.Range(0, panelsPerTile * 2).Select(v => (Plus("p", v / 2, bare: true), v % 2, lanes)).ToList());
            w.Close();
        }
        var rest = new List<(string Panel, int Sub, int Valid)>();
        for (int p = looped; p < fullPanels; p++)
        {
            rest.Add((Int(p), 0, lanes));
            rest.Add((Int(p), 1, lanes));
        }
        rest.AddRange(TailVectors(fullPanels, tailOutputs, lanes));
        if (rest.Count > 0)
        {
            w.Open();
            PackedTile(w, node, t, rowsInTile, rest);
            w.Close();
        }
    }

    /// <summary>The vectors of the last, partial panel: (panel, vector in it, valid lanes).</summary>
    private static List<(string Panel, int Sub, int Valid)> TailVectors(int panel, int tailOutputs, int lanes)
    {
        var list = new List<(string Panel, int Sub, int Valid)>();
        for (int v = 0; v * lanes < tailOutputs; v++) list.Add((Int(panel), v, Math.Min(lanes, tailOutputs - v * lanes)));
        return list;
    }

    /// <summary>rows × vectors of accumulators over all of k, then bias, activation and the store (lanes past the layer's end are dropped).</summary>
    private static void PackedTile(CodeWriter w, Node node, VectorTarget t, int rowsInTile, IReadOnlyList<(string Panel, int Sub, int Valid)> vectors)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes, nr = PackedPanel(t);
        int padded = (int)NetworkLayout.PackedOutputs(n);
        var panels = vectors.Select(v => v.Panel).Distinct().ToList();
        for (int q = 0; q < panels.Count; q++)
            w.Line($"ref float w{Int(q)} = ref {VectorTarget.At("pw", $"{Int(padded)} + {Paren(panels[q])} * {Int(k * nr)}")};");
        string Acc(int i, int j) => $"a{Int(i)}_{Int(j)}";
        for (int i = 0; i < rowsInTile; i++)
            w.Line($"{t.Type} {string.Join(", ", Enumerable.Range(0, vectors.Count).Select(j => $"{Acc(i, j)} = {t.Zero}"))};");
        w.Open($"for (nint k = 0; k < {Int(k)}; k++)");
        string WLoad(int j) => t.Load("w" + Int(panels.IndexOf(vectors[j].Panel)), Int(vectors[j].Sub * lanes));
        if (rowsInTile == 1)
        {
            // One weight vector live at a time: vectors accumulators + 2 registers.
            w.Line($"{t.Type} b0 = {t.Broadcast(VectorTarget.At("xr", "k"))};");
            for (int j = 0; j < vectors.Count; j++) w.Line($"{Acc(0, j)} = {t.MultiplyAdd("b0", WLoad(j), Acc(0, j))};");
        }
        else
        {
            for (int j = 0; j < vectors.Count; j++) w.Line($"{t.Type} v{Int(j)} = {WLoad(j)};");
            for (int i = 0; i < rowsInTile; i++)
            {
                w.Line($"{t.Type} b{Int(i)} = {t.Broadcast(VectorTarget.At("xr", Plus("k", i * k, bare: true)))};");
                for (int j = 0; j < vectors.Count; j++) w.Line($"{Acc(i, j)} = {t.MultiplyAdd("b" + Int(i), "v" + Int(j), Acc(i, j))};");
            }
        }
        // The panels' next k: a pointer step instead of k × panel width in every address.
        for (int q = 0; q < panels.Count; q++) w.Line($"w{Int(q)} = ref {VectorTarget.At("w" + Int(q), Int(nr))};");
        w.Close();
        for (int j = 0; j < vectors.Count; j++)
        {
            string o = Paren($"{Paren(vectors[j].Panel)} * {Int(nr)}{(vectors[j].Sub == 0 ? string.Empty : " + " + Int(vectors[j].Sub * lanes))}");
            if (node.Layer.Bias) w.Line($"{t.Type} c{Int(j)} = {t.Load("pw", o)};");
            for (int i = 0; i < rowsInTile; i++)
            {
                string value = NetworkPlan.Invoke(node.Activation, node.Alpha, t, node.Layer.Bias ? $"{Acc(i, j)} + c{Int(j)}" : Acc(i, j));
                string at = $"{Plus("r", i)} * {Int(n)} + {o}";
                if (vectors[j].Valid == lanes) w.Line(t.Store(value, "y", at));
                else
                {
                    w.Line($"{t.Type} s{Int(i)}_{Int(j)} = {value};");
                    w.Line($"for (int l = 0; l < {Int(vectors[j].Valid)}; l++) {VectorTarget.At("y", $"{at} + l")} = s{Int(i)}_{Int(j)}.GetElement(l);");
                }
            }
        }
    }

    /// <summary>An expression in parentheses unless it is a plain name or number.</summary>
    private static string Paren(string e) => e.All(c => char.IsLetterOrDigit(c) || c == '_') ? e : $"({e})";

    // ---------------------------------------------------------------- dW, db

    private static void EmitBackwardWeights(CodeWriter w, Node node, VectorTarget t)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes;
        bool bias = node.Layer.Bias;
        w.Line($"/// <summary>{Describe(node)}. Weight gradient dW = dZᵀ·X{(bias ? ", db = Σ_rows dZ" : string.Empty)}, {t.IsaName}.</summary>");
        w.Line($"// x: [rows × {Int(k)}], dz: [rows × {Int(n)}], dw: [{Int(n)} × {Int(k)}]{(bias ? $", db: [{Int(n)}]" : string.Empty)}. Overwrites dw and db.");
        w.Line($"// outputs: how many outputs (rows of dW) from dz/dw/db as passed: {Int(n)} for all, or a thread's share — a multiple of the tile,");
        w.Line("// the last share ending at the layer's end, so every element is computed the same way whatever the split.");
        OptimizerSpec opt = node.Plan.Spec.Optimizer;
        bool decay = node.DecayInGradient;
        if (decay) w.Line($"// Coupled {opt.Regularization} weight decay fused into the store: dW += {OptimizerEmitter.DecayGradient(opt, VectorTarget.Scalar, "w")} (w: this layer's weights; biases are not decayed).");
        w.Line(Aggressive);
        w.Open($"private static void {node.KernelName}_BackwardWeights_{t.Suffix}(ref float x, ref float dz, ref float dw, {(bias ? "ref float db, " : string.Empty)}{(decay ? "ref float w, float lambda, " : string.Empty)}int rows, int outputs)");
        if (t.IsScalar || k < lanes)
        {
            if (!t.IsScalar) w.Line($"// {Int(k)} inputs < {Int(lanes)} lanes: scalar loops for dW.");
            w.Open("for (nint o = 0; o < outputs; o++)");
            w.Open($"for (nint i = 0; i < {Int(k)}; i++)");
            w.Line("float s = 0f;");
            w.Line($"for (nint r = 0; r < rows; r++) s += {VectorTarget.At("dz", $"r * {Int(n)} + o")} * {VectorTarget.At("x", $"r * {Int(k)} + i")};");
            w.Line($"{VectorTarget.At("dw", $"o * {Int(k)} + i")} = {(node.DecayInGradient ? "s + " + OptimizerEmitter.DecayGradient(node.Plan.Spec.Optimizer, VectorTarget.Scalar, VectorTarget.At("w", $"o * {Int(k)} + i")) : "s")};");
            w.Close();
            w.Close();
        }
        else
        {
            int vectors = k / lanes, tail = k % lanes;
            Tiles tiles = t.Tiles;
            int vectorBlock = tiles.KVectors, tileOutputs = Math.Min(tiles.WeightOutputs, n);
            int chunked = vectors / vectorBlock * vectorBlock * lanes, rest = vectors % vectorBlock;
            w.Line($"// Register blocking for {Int(tiles.Registers)} vector registers: tile {Int(tileOutputs)} outputs × {Int(vectorBlock)} vectors of k = {Int(tileOutputs * vectorBlock)} accumulators + {Int(vectorBlock + 1)} operands; {Int(k)} = {Int(vectors)} × {Int(lanes)}{(tail == 0 ? string.Empty : $" + {Int(tail)} (last vector overlaps: dW is overwritten, so recomputing lanes is harmless)")}.");
            void Columns(int outputs, string o)
            {
                if (chunked > 0)
                {
                    w.Open($"for (nint k = 0; k < {Int(chunked)}; k += {Int(vectorBlock * lanes)})");
                    DwTile(w, node, t, outputs, o, vectorBlock, "k");
                    w.Close();
                }
                if (rest > 0)
                {
                    w.Open();
                    DwTile(w, node, t, outputs, o, rest, Int(chunked));
                    w.Close();
                }
                if (tail != 0)
                {
                    w.Open();
                    DwTile(w, node, t, outputs, o, 1, Int(k - lanes));
                    w.Close();
                }
            }
            w.Open();
            w.Line("nint o = 0;");
            w.Open($"for (; o <= outputs - {Int(tileOutputs)}; o += {Int(tileOutputs)})");
            Columns(tileOutputs, "o");
            w.Close();
            if (n % tileOutputs != 0)
            {
                w.Open("if (o < outputs)");
                w.Line($"// The last {Int(n % tileOutputs)} outputs of the layer.");
                Columns(n % tileOutputs, "o");
                w.Close();
            }
            w.Close();
        }
        if (bias) EmitBiasGradient(w, node, t);
        w.Close();
        w.Line();
    }

    /// <summary>The dW kernel's output tile at this width: threads share dW out in whole tiles.</summary>
    public static int WeightTile(Node node, VectorTarget t) => t.IsScalar || node.Inputs < t.Lanes ? 1 : Math.Min(t.Tiles.WeightOutputs, node.Outputs);

    private static void DwTile(CodeWriter w, Node node, VectorTarget t, int outputs, string o, int vectors, string kExpr)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes;
        for (int c = 0; c < outputs; c++)
            w.Line($"{t.Type} {string.Join(", ", Enumerable.Range(0, vectors).Select(j => $"g{c}{j} = {t.Zero}"))};");
        w.Open("for (nint r = 0; r < rows; r++)");
        for (int j = 0; j < vectors; j++)
            w.Line($"{t.Type} x{j} = {t.Load("x", $"r * {Int(k)} + {Plus(kExpr, j * lanes, bare: true)}")};");
        for (int c = 0; c < outputs; c++)
        {
            // One broadcast live at a time: outputs × vectors accumulators + vectors + 1 registers.
            w.Line($"{t.Type} d{c} = {t.Broadcast(VectorTarget.At("dz", $"r * {Int(n)} + {Plus(o, c, bare: true)}"))};");
            for (int j = 0; j < vectors; j++) w.Line($"g{c}{j} = {t.MultiplyAdd($"d{c}", $"x{j}", $"g{c}{j}")};");
        }
        w.Close();
        for (int c = 0; c < outputs; c++)
            for (int j = 0; j < vectors; j++)
            {
                string at = $"{Plus(o, c)} * {Int(k)} + {Plus(kExpr, j * lanes, bare: true)}";
                string value = node.DecayInGradient ? $"g{c}{j} + {OptimizerEmitter.DecayGradient(node.Plan.Spec.Optimizer, t, t.Load("w", at))}" : $"g{c}{j}";
                w.Line(t.Store(value, "dw", at));
            }
    }

    private static void EmitBiasGradient(CodeWriter w, Node node, VectorTarget t)
    {
        int n = node.Outputs, lanes = t.Lanes;
        if (t.IsScalar || n < lanes)
        {
            w.Open("for (nint o = 0; o < outputs; o++)");
            w.Line("float s = 0f;");
            w.Line($"for (nint r = 0; r < rows; r++) s += {VectorTarget.At("dz", $"r * {Int(n)} + o")};");
            w.Line($"{VectorTarget.At("db", "o")} = s;");
            w.Close();
            return;
        }
        void Column(string o)
        {
            w.Line($"{t.Type} s = {t.Zero};");
            w.Line($"for (nint r = 0; r < rows; r++) s += {t.Load("dz", $"r * {Int(n)} + {o}")};");
            w.Line(t.Store("s", "db", o));
        }
        w.Line("// db per output is Σ_rows dz in row order, whatever the vector grouping: a share may overlap its last vector.");
        w.Line("nint ob = 0;");
        w.Open($"for (; ob <= outputs - {Int(lanes)}; ob += {Int(lanes)})");
        Column("ob");
        w.Close();
        w.Open($"if (ob < outputs && outputs >= {Int(lanes)})");
        Column($"(outputs - {Int(lanes)})");
        w.Close();
        w.Open("else");
        w.Open("for (; ob < outputs; ob++)");
        w.Line("float s = 0f;");
        w.Line($"for (nint r = 0; r < rows; r++) s += {VectorTarget.At("dz", $"r * {Int(n)} + ob")};");
        w.Line($"{VectorTarget.At("db", "ob")} = s;");
        w.Close();
        w.Close();
    }

    // ---------------------------------------------------------------- dX

    private static void EmitBackwardInput(CodeWriter w, Node node, VectorTarget t)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes;
        Node prev = node.Previous!;
        bool fuse = prev.GradientIncludesDerivative;
        w.Line($"/// <summary>{Describe(node)}. Input gradient dX = dZ·W{(fuse ? $", times {prev.Activation}′ of {prev.Name}'s output (fused)" : string.Empty)}, {t.IsaName}.</summary>");
        w.Line($"// dz: [rows × {Int(n)}], w: [{Int(n)} × {Int(k)}], dx: [rows × {Int(k)}]{(fuse ? $", yp: [rows × {Int(k)}] ({prev.Name} output)" : string.Empty)}. Overwrites dx.");
        w.Line(Aggressive);
        w.Open($"private static void {node.KernelName}_BackwardInput_{t.Suffix}(ref float dz, ref float w, ref float dx, {(fuse ? "ref float yp, " : string.Empty)}int rows)");
        if (t.IsScalar || k < lanes)
        {
            if (!t.IsScalar) w.Line($"// {Int(k)} inputs < {Int(lanes)} lanes: scalar loops.");
            w.Open("for (nint r = 0; r < rows; r++)");
            w.Open($"for (nint i = 0; i < {Int(k)}; i++)");
            w.Line("float s = 0f;");
            w.Line($"for (nint o = 0; o < {Int(n)}; o++) s += {VectorTarget.At("dz", $"r * {Int(n)} + o")} * {VectorTarget.At("w", $"o * {Int(k)} + i")};");
            string value = fuse ? $"s * {prev.OutputDerivative(VectorTarget.Scalar, VectorTarget.At("yp", $"r * {Int(k)} + i"))}" : "s";
            w.Line($"{VectorTarget.At("dx", $"r * {Int(k)} + i")} = {value};");
            w.Close();
            w.Close();
            w.Close();
            w.Line();
            return;
        }
        int vectors = k / lanes, tail = k % lanes;
        Tiles tiles = t.Tiles;
        int vectorBlock = tiles.KVectors, inputRowBlock = tiles.InputRows;
        int chunked = vectors / vectorBlock * vectorBlock * lanes, rest = vectors % vectorBlock;
        w.Line($"// Register blocking for {Int(tiles.Registers)} vector registers: tile {Int(inputRowBlock)} rows × {Int(vectorBlock)} vectors of k = {Int(inputRowBlock * vectorBlock)} accumulators + {Int(vectorBlock + 1)} operands; {Int(k)} = {Int(vectors)} × {Int(lanes)}{(tail == 0 ? string.Empty : $" + {Int(tail)} (overlapping last vector; dx is overwritten)")}.");
        void RowsBlock(int rowsInBlock)
        {
            if (chunked > 0)
            {
                w.Open($"for (nint k = 0; k < {Int(chunked)}; k += {Int(vectorBlock * lanes)})");
                DxTile(w, node, t, rowsInBlock, vectorBlock, "k", fuse, prev);
                w.Close();
            }
            if (rest > 0)
            {
                w.Open();
                DxTile(w, node, t, rowsInBlock, rest, Int(chunked), fuse, prev);
                w.Close();
            }
            if (tail != 0)
            {
                w.Open();
                DxTile(w, node, t, rowsInBlock, 1, Int(k - lanes), fuse, prev);
                w.Close();
            }
        }
        w.Line("nint r = 0;");
        w.Open($"for (; r <= rows - {Int(inputRowBlock)}; r += {Int(inputRowBlock)})");
        RowsBlock(inputRowBlock);
        w.Close();
        w.Open("for (; r < rows; r++)");
        RowsBlock(1);
        w.Close();
        w.Close();
        w.Line();
    }

    private static void DxTile(CodeWriter w, Node node, VectorTarget t, int rowsInTile, int vectors, string kExpr, bool fuse, Node prev)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes;
        for (int i = 0; i < rowsInTile; i++)
            w.Line($"{t.Type} {string.Join(", ", Enumerable.Range(0, vectors).Select(j => $"a{i}{j} = {t.Zero}"))};");
        w.Open($"for (nint o = 0; o < {Int(n)}; o++)");
        for (int j = 0; j < vectors; j++)
            w.Line($"{t.Type} w{j} = {t.Load("w", $"o * {Int(k)} + {Plus(kExpr, j * lanes, bare: true)}")};");
        for (int i = 0; i < rowsInTile; i++)
        {
            // One broadcast live at a time: rows × vectors accumulators + vectors + 1 registers.
            w.Line($"{t.Type} d{i} = {t.Broadcast(VectorTarget.At("dz", $"{Plus("r", i)} * {Int(n)} + o"))};");
            for (int j = 0; j < vectors; j++) w.Line($"a{i}{j} = {t.MultiplyAdd($"d{i}", $"w{j}", $"a{i}{j}")};");
        }
        w.Close();
        for (int i = 0; i < rowsInTile; i++)
            for (int j = 0; j < vectors; j++)
            {
                string offset = $"{Plus("r", i)} * {Int(k)} + {Plus(kExpr, j * lanes, bare: true)}";
                string value = fuse ? $"a{i}{j} * {prev.OutputDerivative(t, t.Load("yp", offset))}" : $"a{i}{j}";
                w.Line(t.Store(value, "dx", offset));
            }
    }
}
