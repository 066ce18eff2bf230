using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Dense kernels, part two: the packed inference forward (Predict). Outer-product micro-kernels over panels of Wᵀ kept in the
/// folded block (refreshed by Fold): a tile of rows × two vectors of outputs accumulates over all of k, then bias, activation and
/// the store. Part one (DenseEmitter.cs) holds the training kernels and the call sites.
/// </summary>
internal sealed partial class DenseEmitter
{
    /// <summary>The node's packed inference weights in the folded block (NetworkLayout.PackedLength floats).</summary>
    public static string PackedConst(Node node) => node.Name + "_Packed";

    public static long PackedOffset(Node node) => node.Plan.Layout.Nodes[node.Number].PackedOffset;

    /// <summary>Offset of the packed, unfolded W and b the training forward reads (Predict's copy where nothing folds in), -1 if none.</summary>
    public static long TrainingPackedOffset(Node node) => node.Plan.Layout.Nodes[node.Number].TrainingPackedOffset;

    /// <summary>Whether the training forward runs this node as an outer product over packed weights (from 16 or 48 rows, <see cref="TrainingPackedRows(NetworkPlan)"/>; the copy is
    /// written by the optimizer's update or rebuilt by RepackTraining).</summary>
    public static bool IsTrainingPacked(Node node) => node.IsDense && TrainingPackedOffset(node) >= 0;

    /// <summary>Whether the optimizer's update packs this layer's panels as it updates them: a training-packed layer in a network
    /// whose batch can reach <see cref="TrainingPackedRows(NetworkPlan)"/> (below that the packed copy is never read in training).</summary>
    public static bool PacksInUpdate(Node node) => IsTrainingPacked(node) && node.Plan.Spec.BatchSize >= TrainingPackedRows(node.Plan);

    /// <summary>Whether the optimizer's update packs any layer of the network (its kernels take the folded block and pack).</summary>
    public static bool PacksInUpdate(NetworkPlan plan) => plan.Nodes.Any(PacksInUpdate);

    /// <summary>The training forward's packed copy of the node as a span of the folded block (user class).</summary>
    public static string TrainingPackedRegion(Node node)
        => $"_folded.Slice({TrainingPackedConst(node)}, {Long(NetworkLayout.PackedLength(node.Inputs, node.Outputs))})";

    /// <summary>The node's bias as a span of the parameters, or <c>default</c> without one (user class).</summary>
    public static string BiasSource(Node node) => node.Layer.Bias ? $"_parameters.Slice({node.BConst}, {Int(node.Outputs)})" : "default";

    /// <summary>The node's output panels at width <paramref name="t"/>.</summary>
    public static int Panels(Node node, VectorTarget t) => (node.Outputs + PackedPanel(t) - 1) / PackedPanel(t);

    /// <summary>
    /// The training forward runs the packed kernel from this many rows of the whole batch (so the choice does not depend on the
    /// threads): below it, packing W after every update costs more than the outer products save over the canonical kernel.
    /// The packing's cost is where the optimizer's update finds its arrays: in L2 it is a transposition at ≈ 0.13 ns per
    /// weight (784 × 256 in 26 µs, Intel Emerald Rapids; ≈ 25 µs on Zen 5), 16 rows (measured on Zen 5: TrainStep of one row
    /// 47 → 75 µs when always packed). Where the update streams more than <see cref="UpdateInL2Bytes"/> (parameters, gradients,
    /// the optimizer's slots and the packed copies: they come from L3 every step) the packed copy's stores miss too and the
    /// packing costs ≈ 0.27 ns per weight, 48 rows (FashionMlp, 3.8 MB, AdamW, Intel Emerald Rapids, one thread: TrainStep
    /// 304 / 415 / 477 µs canonical against 338 / 430 / 494 packed at 16 / 32 / 40 rows, 553 against 550–562 at 48,
    /// 693 against 667 at 64; on Zen 5 the two were even at 32 rows). Two threads gain too since the canonical forward splits a
    /// layer wider than the batch by outputs (each thread reads its share of W): 168 / 245 / 285 µs against 180 / 258 / 298
    /// packed at 16 / 32 / 40 rows (eleventh session; split by rows, the canonical step took 328 µs at 32 rows).
    /// </summary>
    public static int TrainingPackedRows(NetworkPlan plan) => UpdateBytes(plan) > UpdateInL2Bytes ? 48 : 16;

    /// <summary>What the update may stream and still find in the smallest L2 measured (Zen 5's 1 MiB per core).</summary>
    public const long UpdateInL2Bytes = 1L << 20;

    /// <summary>The bytes the optimizer's update reads or writes per step: parameters and gradients, the optimizer's slots, and
    /// the training forward's packed copies it writes.</summary>
    public static long UpdateBytes(NetworkPlan plan)
        => 4L * ((long)plan.ParameterCapacity * (2 + plan.Spec.Optimizer.StateSlots)
            + plan.Nodes.Where(IsTrainingPacked).Sum(n => NetworkLayout.PackedLength(n.Inputs, n.Outputs)));

    /// <summary>Its name in the kernel class.</summary>
    public const string TrainingPackedRowsConst = "PackedTrainingRows";

    /// <summary>The constant naming the training forward's packed copy: Predict's where no batch norm folds in.</summary>
    public static string TrainingPackedConst(Node node) => node.FoldedInto is null ? PackedConst(node) : node.Name + "_TrainingPacked";

    /// <summary>Whether the node has packed inference weights (every dense node whose copy fits the folded block).</summary>
    public static bool IsPacked(Node node) => node.IsDense && PackedOffset(node) >= 0;

    /// <summary>Panel width of the packed layout at this width: two vectors of outputs.</summary>
    public static int PackedPanel(VectorTarget t) => 2 * t.Lanes;

    /// <summary>The statement binding <c>panel</c> to this instance's packed panel width (0 at the scalar width, which reads the canonical layout).</summary>
    public static string PanelOfIsa(IReadOnlyList<VectorTarget> targets)
        => $"int panel = _isa switch {{ {string.Join(", ", targets.Where(t => !t.IsScalar).Select(t => $"global::KernelGen.Isa.{t.IsaName} => {Int(PackedPanel(t))}"))}, _ => 0 }};";

    /// <summary>Rows of the outer-product tile: rows × 2 vectors of accumulators + 2 weight vectors + 1 broadcast must fit the
    /// vector registers (32 with AVX-512: 8 × 2 + 3 = 19; 16 otherwise: 6 × 2 + 3 = 15), with ≥ 8 independent accumulators.</summary>
    public static int PackedRows(VectorTarget t) => t.Tiles.Registers >= 32 ? 8 : 6;

    /// <summary>A lone row (batch 1, the rows after the last whole tile) takes this many vectors of outputs at once (independent
    /// accumulators through the FMA latency), one weight vector live at a time.</summary>
    private const int PackedSingleRowVectors = 8;

    /// <summary>Weights larger than this (half a typical 1 MB L2; all of W is read once per row block) are blocked over the
    /// outputs instead: panel by panel, each panel read by every row block while it sits in L2.</summary>
    private const int PackedPanelsOuterBytes = 512 * 1024;

    /// <summary>The invocation of the packed kernel for the rows [r0, r0 + rows) of a chunk (Infer_ walk); a node with a batch norm
    /// folded in (its folded kernel) never has a PReLU fused, so α goes only to the node's own kernel.</summary>
    public static string PackedCall(Node node, string kernelName, VectorTarget t, string input, string output)
        => $"{kernelName}_Packed_{t.Suffix}({input}, {RefAt("f", PackedConst(node))}, {AlphaArgument(node)}{output}, rows)";

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
        if (node.FusedPReLU is not null) w.Line($"// alpha: [{Int(n)}] the fused PReLU's α per unit.");
        w.Open($"private static void {node.KernelName}_Packed_{t.Suffix}(ref float x, ref float pw, {(node.FusedPReLU is null ? string.Empty : "ref float alpha, ")}ref float y, int rows)");
        DeclareScratch(w, node, t);
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

    /// <summary>
    /// The threaded training forward's share: output panels [p0, p1) of the packed block for every row (panels outer, row tiles
    /// inner; leftover rows one at a time). Each output element is the same FMA chain over k as in the whole-layer kernel.
    /// </summary>
    private static void EmitPackedPanels(CodeWriter w, Node node, VectorTarget t)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes, nr = PackedPanel(t), mr = PackedRows(t);
        int fullPanels = n / nr, tailOutputs = n % nr;
        var panel = new[] { ("p", 0, lanes), ("p", 1, lanes) };
        bool keep = node.KeepsForBackward, prelu = node.FusedPReLU is not null;
        w.Line($"/// <summary>{Describe(node)}. Training forward over packed weights, output panels [p0, p1) of {Int((n + nr - 1) / nr)} for all rows (a thread's share), {t.IsaName}.</summary>");
        if (prelu) w.Line($"// alpha: [{Int(n)}] the fused PReLU's α per unit; y: its output; fd: [rows × {Int(n)}] the pre-activation (the PReLU backward's input).");
        else if (keep) w.Line($"// fd: [rows × {Int(n)}] {node.Activation}′ at the pre-activation, from the same evaluation as y, for the backward.");
        w.Line(Aggressive);
        w.Open($"private static void {node.KernelName}_PackedPanels_{t.Suffix}(ref float x, ref float pw, {(prelu ? "ref float alpha, " : string.Empty)}ref float y, {(keep ? "ref float fd, " : string.Empty)}int rows, int p0, int p1)");
        DeclareScratch(w, node, t);
        w.Line($"nint whole = rows - rows % {Int(mr)}; // rows in whole tiles");
        if (fullPanels > 0)
        {
            w.Line($"nint full = p1 < {Int(fullPanels)} ? p1 : {Int(fullPanels)};");
            w.Open("for (nint p = p0; p < full; p++)");
            w.Open($"for (nint r = 0; r < whole; r += {Int(mr)})");
            w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(k)}")};");
            PackedTile(w, node, t, mr, panel, keep);
            w.Close();
            w.Open("for (nint r = whole; r < rows; r++)");
            w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(k)}")};");
            PackedTile(w, node, t, 1, panel, keep);
            w.Close();
            w.Close();
        }
        if (tailOutputs > 0)
        {
            w.Open($"if (p1 > {Int(fullPanels)})");
            w.Open($"for (nint r = 0; r < whole; r += {Int(mr)})");
            w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(k)}")};");
            PackedTile(w, node, t, mr, TailVectors(fullPanels, tailOutputs, lanes), keep);
            w.Close();
            w.Open("for (nint r = whole; r < rows; r++)");
            w.Line($"ref float xr = ref {VectorTarget.At("x", $"r * {Int(k)}")};");
            PackedTile(w, node, t, 1, TailVectors(fullPanels, tailOutputs, lanes), keep);
            w.Close();
            w.Close();
        }
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

    /// <summary>rows × vectors of accumulators over all of k, then bias, activation and the store (lanes past the layer's end are dropped);
    /// with <paramref name="keepDerivative"/> f′ from the same evaluation goes to fd as well.</summary>
    private static void PackedTile(CodeWriter w, Node node, VectorTarget t, int rowsInTile, IReadOnlyList<(string Panel, int Sub, int Valid)> vectors, bool keepDerivative = false)
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
        if (HeavyActivation(node.Activation))
        {
            ActivationLoop(w, node, t, rowsInTile, vectors, keepDerivative);
            return;
        }
        for (int j = 0; j < vectors.Count; j++)
        {
            string o = Paren($"{Paren(vectors[j].Panel)} * {Int(nr)}{(vectors[j].Sub == 0 ? string.Empty : " + " + Int(vectors[j].Sub * lanes))}");
            if (node.Layer.Bias) w.Line($"{t.Type} c{Int(j)} = {t.Load("pw", o)};");
            if (node.FusedPReLU is not null)
            {
                PReLUStores(w, t, rowsInTile, j, o, vectors[j].Valid, n, node.Layer.Bias, keepDerivative);
                continue;
            }
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

    /// <summary>
    /// A fused PReLU's epilogue for vector <paramref name="j"/> of the tile (outputs from <paramref name="o"/>): z = accumulator + bias,
    /// y = z &gt; 0 ? z : α·z with α of each output, z kept in fd with <paramref name="keep"/> (training). A whole vector loads its α
    /// as a vector; the lanes of a partial one (<paramref name="valid"/> &lt; lanes) are stored one by one with their own α (no load
    /// past the layer's α). The same per-element operations as the stand-alone PReLU kernel, so the results are the same bits.
    /// </summary>
    private static void PReLUStores(CodeWriter w, VectorTarget t, int rowsInTile, int j, string o, int valid, int n, bool bias, bool keep)
    {
        string acc(int i) => $"a{Int(i)}_{Int(j)}";
        if (valid == t.Lanes) w.Line($"{t.Type} al{Int(j)} = {t.Load("alpha", o)};");
        for (int i = 0; i < rowsInTile; i++)
        {
            string at = $"{Plus("r", i)} * {Int(n)} + {o}";
            string z = $"z{Int(i)}_{Int(j)}";
            w.Line($"{t.Type} {z} = {acc(i)}{(bias ? $" + c{Int(j)}" : string.Empty)};"); // c{j}: the bias vector (the caller's)
            if (valid == t.Lanes)
            {
                w.Line(t.Store(NetworkPlan.InvokeWithAlpha(z, $"al{Int(j)}"), "y", at));
                if (keep) w.Line(t.Store(z, "fd", at));
            }
            else
                w.Line($"for (int l = 0; l < {Int(valid)}; l++) {{ float e = {z}.GetElement(l); {VectorTarget.At("y", $"{at} + l")} = {NetworkPlan.InvokeWithAlpha("e", VectorTarget.At("alpha", $"{o} + l"))};{(keep ? $" {VectorTarget.At("fd", $"{at} + l")} = e;" : string.Empty)} }}");
        }
    }

    /// <summary>
    /// Activations whose function is a long polynomial or exponential (everything but identity, ReLU and LeakyReLU) are applied
    /// in a loop after the tile instead of inline per accumulator: 16 inlined copies of GELU made the Vector512 kernel 15 KB of
    /// code and the whole training step 1.5–1.9× slower than the stand-alone kernel (measured, GeluMlp, Zen 5); one copy in a loop
    /// over the tile's values, parked in a stack scratch (L1), runs as fast as the tile.
    /// </summary>
    public static bool HeavyActivation(ActKind act) => act is not (ActKind.Identity or ActKind.ReLU or ActKind.LeakyReLU);

    /// <summary>Floats of the stack scratch a packed kernel with a heavy activation parks its tile in: the largest tile (rows × 2
    /// vectors, or one row × the single-row vectors).</summary>
    private static int ScratchFloats(VectorTarget t) => Math.Max(PackedRows(t) * 2, PackedSingleRowVectors) * t.Lanes;

    /// <summary>The scratch's declaration at the top of a packed kernel with a heavy activation (nothing otherwise).</summary>
    private static void DeclareScratch(CodeWriter w, Node node, VectorTarget t)
    {
        if (!HeavyActivation(node.Activation)) return;
        w.Line($"// {node.Activation} is applied after each tile, in a loop over its values parked here (one copy of its code, not one per accumulator).");
        w.Line($"Span<float> scratch = stackalloc float[{Int(ScratchFloats(t))}];");
        w.Line("ref float zs = ref MemoryMarshal.GetReference(scratch);");
    }

    /// <summary>The tile's pre-activations (bias added) to the scratch, then f (and with <paramref name="keepDerivative"/> f′ into
    /// fd) vector by vector in a loop, the same vector operations as inline; the tile's vectors are contiguous outputs.</summary>
    private static void ActivationLoop(CodeWriter w, Node node, VectorTarget t, int rowsInTile, IReadOnlyList<(string Panel, int Sub, int Valid)> vectors, bool keepDerivative)
    {
        int n = node.Outputs, lanes = t.Lanes, nr = PackedPanel(t), count = vectors.Count;
        string Column(int j) => $"{Paren(vectors[j].Panel)} * {Int(nr)}{(vectors[j].Sub == 0 ? string.Empty : " + " + Int(vectors[j].Sub * lanes))}";
        for (int j = 1; j < count; j++)
        {
            bool next = vectors[j].Panel == vectors[j - 1].Panel ? vectors[j].Sub == vectors[j - 1].Sub + 1 : vectors[j].Sub == 0 && vectors[j - 1].Sub == 1;
            if (!next) throw new GeneratorBugException("packed tile vectors are not contiguous outputs");
        }
        for (int j = 0; j < count; j++)
        {
            string o = Paren(Column(j));
            if (node.Layer.Bias) w.Line($"{t.Type} c{Int(j)} = {t.Load("pw", o)};");
            for (int i = 0; i < rowsInTile; i++)
                w.Line(t.Store(node.Layer.Bias ? $"a{Int(i)}_{Int(j)} + c{Int(j)}" : $"a{Int(i)}_{Int(j)}", "zs", Int((i * count + j) * lanes)));
        }
        w.Line($"nint first = {Column(0)};");
        w.Open($"for (nint i = 0; i < {Int(rowsInTile)}; i++)");
        w.Open($"for (nint j = 0; j < {Int(count)}; j++)");
        w.Line($"{t.Type} z = {t.Load("zs", $"(i * {Int(count)} + j) * {Int(lanes)}")};");
        w.Line(keepDerivative
            ? $"{t.Type} v = {NetworkPlan.Operator(node.Activation)}.Invoke(z, out {t.Type} f);"
            : $"{t.Type} v = {NetworkPlan.Invoke(node.Activation, node.Alpha, t, "z")};");
        w.Line($"nint c = first + j * {Int(lanes)}, at = (r + i) * {Int(n)} + c;");
        w.Open($"if (c <= {Int(n - lanes)})");
        w.Line(t.Store("v", "y", "at"));
        if (keepDerivative) w.Line(t.Store("f", "fd", "at"));
        w.Close();
        w.Open("else");
        w.Line($"for (int l = 0; l < {Int(n)} - c; l++) {{ {VectorTarget.At("y", "at + l")} = v.GetElement(l);{(keepDerivative ? $" {VectorTarget.At("fd", "at + l")} = f.GetElement(l);" : string.Empty)} }}");
        w.Close();
        w.Close();
        w.Close();
    }
}
