using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Dense kernels, the backward pass: weight gradient <c>dW = dZᵀ·X</c> (+ <c>db</c>) tiled by outputs so threads own whole rows
/// of dW, and input gradient <c>dX = dZ·W</c> with the previous layer's f′ fused into the store.
/// </summary>
internal sealed partial class DenseEmitter
{
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
        w.Line("// The finite check fused into the stores: probe += (sum of a tile's values)·0 stays 0 while they are finite and turns NaN at");
        w.Line("// the first ±∞ or NaN (or a sum that overflows); a kernel whose probe is not 0 sets check (the network's gradient check slot)");
        w.Line("// to NaN, and TrainStep reads the gradients only then. Threads only ever write NaN there: no order matters.");
        w.Line(Aggressive);
        w.Open($"private static void {node.KernelName}_BackwardWeights_{t.Suffix}(ref float x, ref float dz, ref float dw, {(bias ? "ref float db, " : string.Empty)}{(decay ? "ref float w, float lambda, " : string.Empty)}ref float check, int rows, int outputs)");
        w.Line("float probe1 = 0f;");
        if (!t.IsScalar) w.Line($"{t.Type} probe = {t.Zero};");
        if (t.IsScalar || k < lanes)
        {
            if (!t.IsScalar) w.Line($"// {Int(k)} inputs < {Int(lanes)} lanes: scalar loops for dW.");
            w.Open("for (nint o = 0; o < outputs; o++)");
            w.Open($"for (nint i = 0; i < {Int(k)}; i++)");
            w.Line("float s = 0f;");
            w.Line($"for (nint r = 0; r < rows; r++) s += {VectorTarget.At("dz", $"r * {Int(n)} + o")} * {VectorTarget.At("x", $"r * {Int(k)} + i")};");
            if (node.DecayInGradient) w.Line($"s += {OptimizerEmitter.DecayGradient(node.Plan.Spec.Optimizer, VectorTarget.Scalar, VectorTarget.At("w", $"o * {Int(k)} + i"))};");
            w.Line($"{VectorTarget.At("dw", $"o * {Int(k)} + i")} = s;");
            w.Line("probe1 += s * 0f;");
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
            // Loop order: a block of k outermost, every output tile of the share inside it. The block's slice of x (rows × the
            // block's vectors: 32 KB for 128 rows of 4 AVX-512 vectors) stays in L1 while the share's tiles stream dz past
            // it; with the output tiles outermost every tile re-read all of x from L2 (from L3 once x and dz outgrow L2, as
            // at 256 rows of 784 inputs). Each dW element is the same FMA chain over the rows in row order either way.
            void Outputs(int vectors, string kExpr) => OutputsAt(Enumerable.Range(0, vectors).Select(j => Plus(kExpr, j * lanes, bare: true)).ToList());
            void OutputsAt(IReadOnlyList<string> columns, bool? rowBlocks = null)
            {
                w.Line("nint o = 0;");
                w.Open($"for (; o <= outputs - {Int(tileOutputs)}; o += {Int(tileOutputs)})");
                DwTile(w, node, t, tileOutputs, "o", columns, rowBlocks);
                w.Close();
                if (n % tileOutputs != 0)
                {
                    w.Open("if (o < outputs)");
                    w.Line($"// The last {Int(n % tileOutputs)} outputs of the layer.");
                    DwTile(w, node, t, n % tileOutputs, "o", columns, rowBlocks);
                    w.Close();
                }
            }
            w.Line("// Blocks of k outer, the share's output tiles inner: the block of x stays in L1 while dz streams past it.");
            bool rowBlocked = RowBlocked(node, t), shifted = AlignsBlocks(node, t);
            if (shifted)
                w.Line($"nint lead = rows >= {Int(AlignedBlockRows)} ? Lanes.Lead(ref x, {Int(lanes)}) : 0; // columns before x's first {Int(lanes * sizeof(float))}-byte-aligned one (from {Int(AlignedBlockRows)} rows)");
            if (rowBlocked)
            {
                w.Line($"// Blocks of {Int(DwRowBlock)} rows outermost (BatchSize {Int(node.Plan.Spec.BatchSize)}): a block of x (≤ {Int(DwRowBlock)} rows × {Int(vectorBlock * lanes * sizeof(float))} B) still fits L1. Each block");
                w.Line("// resumes the accumulators from dW where the last one stored them: the same FMA chain over the rows in row order.");
                w.Open($"for (nint r0 = 0; r0 < rows; r0 += {Int(DwRowBlock)})");
                w.Line($"nint r1 = rows - r0 < {Int(DwRowBlock)} ? rows : r0 + {Int(DwRowBlock)};");
                w.Line("bool first = r0 == 0, last = r1 == rows;");
            }
            if (shifted)
            {
                // Every row of x starts at the same place within a vector (k is whole vectors): the blocks start at x's first
                // aligned column, so that no load straddles two cache lines (a caller's array is aligned to 8 or 16 bytes only;
                // on Intel, at 128 rows, such loads made the first layer's dW 5–7 % slower; see AlignedBlockRows). The columns
                // before it and after the last whole vector are covered by the first and the last vector of k, after the blocks
                // (overlapping: the same FMA chain over every row, so the lanes both compute get the same value).
                w.Line($"nint k = lead; // 0 where x is aligned (the workspace) or rows are few: the blocks as they would be without the shift");
                w.Open($"for (; k <= {Int(k - vectorBlock * lanes)}; k += {Int(vectorBlock * lanes)})");
                Outputs(vectorBlock, "k");
                w.Close();
                if (rest > 0)
                {
                    w.Open($"if (k == {Int(chunked)})");
                    Outputs(rest, "k");
                    w.Line($"k = {Int(k)};");
                    w.Close();
                }
                w.Open($"for (; k <= {Int(k - lanes)}; k += {Int(lanes)})");
                Outputs(1, "k");
                w.Close();
                if (rowBlocked) w.Close();
                w.Open("if (lead != 0)");
                w.Line("// The first and the last vector of k in one tile (two loads of x per row share the broadcasts of dz)"
                    + (rowBlocked ? ", over all rows at once: a later row block would resume these lanes from values the blocks have advanced." : "."));
                OutputsAt(new[] { "0", Int(k - lanes) }, rowBlocks: false);
                w.Close();
            }
            else
            {
                if (chunked > 0)
                {
                    w.Open($"for (nint k = 0; k < {Int(chunked)}; k += {Int(vectorBlock * lanes)})");
                    Outputs(vectorBlock, "k");
                    w.Close();
                }
                if (rest > 0)
                {
                    w.Open();
                    Outputs(rest, Int(chunked));
                    w.Close();
                }
                if (tail != 0)
                {
                    w.Open();
                    Outputs(1, Int(k - lanes));
                    w.Close();
                }
                if (rowBlocked) w.Close();
            }
        }
        if (bias) EmitBiasGradient(w, node, t);
        w.Line(t.IsScalar ? "if (probe1 != 0f) check = float.NaN;" : $"if (probe1 != 0f || !{Api(t)}.EqualsAll(probe, {t.Zero})) check = float.NaN;");
        w.Close();
        w.Line();
    }

    /// <summary>The static vector class of a vector target (Vector512, …).</summary>
    private static string Api(VectorTarget t) => t.Type.Substring(0, t.Type.IndexOf('<'));

    /// <summary>Rows per block of the dW kernel when the batch can be larger: x's block of 4 AVX-512 vectors × 128 rows is 32 KB.</summary>
    private const int DwRowBlock = 128;

    /// <summary>Whether the dW kernel blocks over rows: the batch can exceed a block, and k is whole vectors (an overlapping
    /// last vector would resume from lanes the block's other vectors have already advanced).</summary>
    private static bool RowBlocked(Node node, VectorTarget t)
        => !t.IsScalar && node.Plan.Spec.BatchSize > DwRowBlock && node.Inputs >= t.Lanes && node.Inputs % t.Lanes == 0;

    /// <summary>The dW kernel's output tile at this width: threads share dW out in whole tiles.</summary>
    public static int WeightTile(Node node, VectorTarget t) => t.IsScalar || node.Inputs < t.Lanes ? 1 : Math.Min(t.Tiles.WeightOutputs, node.Outputs);

    /// <summary>Whether the dW kernel starts its blocks of k at x's first aligned column (<c>Lanes.Lead</c>): k is whole vectors,
    /// so every row of x is aligned alike, and at least two blocks, so the two extra single vectors at the edges stay a small share.</summary>
    private static bool AlignsBlocks(Node node, VectorTarget t)
        => !t.IsScalar && node.Inputs % t.Lanes == 0 && node.Inputs / t.Lanes >= 2 * t.Tiles.KVectors;

    /// <summary>
    /// Rows from which the blocks start at x's aligned column. What a misaligned x costs is one more cache line per row of a
    /// block (5 for 4 AVX-512 vectors): 128 rows of it no longer fit L1 beside dz's lines. What the shift costs is dW stores
    /// (and, row-blocked, reloads) across two lines, once per tile. Measured on Intel Xeon (Emerald Rapids), the 784 → 256 dW
    /// kernel with x 16 bytes past a line, µs shifted vs not: 16 rows 47.5 vs 41.8, 32 rows 86.8 vs 81.0, 64 rows 166 vs 166,
    /// 128 rows 341 vs 360.
    /// </summary>
    private const int AlignedBlockRows = 64;

    /// <summary>One register tile of dW: <paramref name="outputs"/> outputs × the vectors of k starting at the columns
    /// <paramref name="columns"/> (consecutive in a block; the first and the last vector of k for the edges of a shifted kernel).</summary>
    private static void DwTile(CodeWriter w, Node node, VectorTarget t, int outputs, string o, IReadOnlyList<string> columns, bool? rowBlocks = null)
    {
        int k = node.Inputs, n = node.Outputs, vectors = columns.Count;
        bool blocked = rowBlocks ?? RowBlocked(node, t);
        string At(int c, int j) => $"{Plus(o, c)} * {Int(k)} + {columns[j]}";
        for (int c = 0; c < outputs; c++)
            w.Line($"{t.Type} {string.Join(", ", Enumerable.Range(0, vectors).Select(j => $"g{c}{j} = {(blocked ? $"first ? {t.Zero} : {t.Load("dw", At(c, j))}" : t.Zero)}"))};");
        w.Open(blocked ? "for (nint r = r0; r < r1; r++)" : "for (nint r = 0; r < rows; r++)");
        for (int j = 0; j < vectors; j++)
            w.Line($"{t.Type} x{j} = {t.Load("x", $"r * {Int(k)} + {columns[j]}")};");
        for (int c = 0; c < outputs; c++)
        {
            // One broadcast live at a time: outputs × vectors accumulators + vectors + 1 registers.
            w.Line($"{t.Type} d{c} = {t.Broadcast(VectorTarget.At("dz", $"r * {Int(n)} + {Plus(o, c, bare: true)}"))};");
            for (int j = 0; j < vectors; j++) w.Line($"g{c}{j} = {t.MultiplyAdd($"d{c}", $"x{j}", $"g{c}{j}")};");
        }
        w.Close();
        bool decay = node.DecayInGradient;
        // The final store of each element (the last block of rows when blocked) adds the decay and feeds the finite probe.
        if (blocked) w.Open("if (last)");
        var stored = new List<string>();
        for (int c = 0; c < outputs; c++)
            for (int j = 0; j < vectors; j++)
            {
                if (decay) w.Line($"g{c}{j} += {OptimizerEmitter.DecayGradient(node.Plan.Spec.Optimizer, t, t.Load("w", At(c, j)))};");
                w.Line(t.Store($"g{c}{j}", "dw", At(c, j)));
                stored.Add($"g{c}{j}");
            }
        // The tile's values summed in a tree (independent adds; one FMA per tile on the probe's chain — a chain of one FMA per
        // value doubled the 1-row dW kernel's time): the sum is ±∞ or NaN if a value is, and may overflow for large finite
        // values, which the check confirms by reading the gradients.
        for (int level = 0; stored.Count > 1; level++)
        {
            var next = new List<string>();
            for (int i = 0; i + 1 < stored.Count; i += 2)
            {
                w.Line($"{t.Type} t{level}_{i / 2} = {stored[i]} + {stored[i + 1]};");
                next.Add($"t{level}_{i / 2}");
            }
            if (stored.Count % 2 == 1) next.Add(stored[stored.Count - 1]);
            stored = next;
        }
        w.Line($"probe = {t.MultiplyAdd(stored[0], t.Zero, "probe")};");
        if (blocked)
        {
            w.Close();
            w.Open("else");
            for (int c = 0; c < outputs; c++)
                for (int j = 0; j < vectors; j++) w.Line(t.Store($"g{c}{j}", "dw", At(c, j)));
            w.Close();
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
            w.Line("probe1 += s * 0f;");
            w.Close();
            return;
        }
        void Column(string o)
        {
            w.Line($"{t.Type} s = {t.Zero};");
            w.Line($"for (nint r = 0; r < rows; r++) s += {t.Load("dz", $"r * {Int(n)} + {o}")};");
            w.Line(t.Store("s", "db", o));
            w.Line($"probe = {t.MultiplyAdd("s", t.Zero, "probe")};");
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
        w.Line("probe1 += s * 0f;");
        w.Close();
        w.Close();
    }

    // ---------------------------------------------------------------- dX

    private static void EmitBackwardInput(CodeWriter w, Node node, VectorTarget t)
    {
        int k = node.Inputs, n = node.Outputs, lanes = t.Lanes;
        Node prev = node.Previous!;
        bool fuse = prev.GradientIncludesDerivative;
        w.Line($"/// <summary>{Describe(node)}. Input gradient dX = dZ·W{(fuse ? $", times {prev.DerivativeText} (fused)" : string.Empty)}, {t.IsaName}.</summary>");
        w.Line($"// dz: [rows × {Int(n)}], w: [{Int(n)} × {Int(k)}], dx: [rows × {Int(k)}]{(fuse ? $", yp: [rows × {Int(k)}] ({(prev.KeepsDerivative ? prev.Activation + "′ kept by " + prev.Name : prev.Name + " output")})" : string.Empty)}. Overwrites dx.");
        w.Line(Aggressive);
        w.Open($"private static void {node.KernelName}_BackwardInput_{t.Suffix}(ref float dz, ref float w, ref float dx, {(fuse ? "ref float yp, " : string.Empty)}int rows)");
        if (t.IsScalar || k < lanes)
        {
            if (!t.IsScalar) w.Line($"// {Int(k)} inputs < {Int(lanes)} lanes: scalar loops.");
            w.Open("for (nint r = 0; r < rows; r++)");
            w.Open($"for (nint i = 0; i < {Int(k)}; i++)");
            w.Line("float s = 0f;");
            w.Line($"for (nint o = 0; o < {Int(n)}; o++) s += {VectorTarget.At("dz", $"r * {Int(n)} + o")} * {VectorTarget.At("w", $"o * {Int(k)} + i")};");
            string value = fuse ? $"s * {prev.FusedDerivative(VectorTarget.Scalar, VectorTarget.At("yp", $"r * {Int(k)} + i"))}" : "s";
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
                string value = fuse ? $"a{i}{j} * {prev.FusedDerivative(t, t.Load("yp", offset))}" : $"a{i}{j}";
                w.Line(t.Store(value, "dx", offset));
            }
    }
}
