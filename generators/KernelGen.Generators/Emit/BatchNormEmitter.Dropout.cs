using System;
using System.Collections.Generic;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// A dropout right after a batch norm, fused into the batch norm's kernels (issue 14 part 3; <see cref="Node.FusedDropout"/>):
/// the forward's store pass writes the dropout's output next to its own (which the backward's f′ needs), and the backward's first
/// pass (the reductions) reads the dropout's gradient through the same mask, times f′, where it read its own, and keeps the result
/// in its own gradient view for the second pass (dx). The dropout's separate passes and phases disappear.
/// The mask of element i = r·features + c is DropoutMask's decision for counter i under the dropout's key, exactly as the
/// dropout kernel draws it (that kernel's flat index over the rows), so it does not depend on the split of the columns over threads.
/// The float operations are the ones of the separate kernels: yd = Apply(y) of the same float y; ∂L/∂(γx̂ + β) = Apply(d)·f′(y)
/// (the dropout backward's product) where the batch norm read it from memory. One difference: the backward's reductions run the
/// tail columns (features mod lanes, all of them below one vector) with the scalar body where the dropout kernel's flat loop
/// ran vector lanes; f′ is the same float expression in both for every fused activation but Softplus, whose
/// −expm1(−y) uses MathF.Exp there instead of VectorNNN.Exp (last-bit differences, within the oracle's tolerance).
/// The synchronised kernels fuse the same way (their dropout had no synchronised form: its pass ran between them unchanged).
/// </summary>
internal sealed partial class BatchNormEmitter
{
    /// <summary>
    /// Whether the backward keeps ∂L/∂(γx̂ + β) in the batch norm's own gradient view (dn), written by the reductions, for the dx
    /// pass: the mask is drawn once in the backward. Regenerating it (and f′) in the dx pass too was slower — FashionMlp, batch 128,
    /// Vector512, Zen 5, one pinned core, perf samples over the same 4,300 steps, means of 4 interleaved runs: the two fused backward
    /// kernels 480 samples materialising, 605 regenerating (with for loops instead of do-whiles, 3 runs: 600 vs 790). The mask's hash,
    /// not memory, is what the pass costs: ∂L/∂(γx̂ + β), 128 × 256 floats, stays in L2.
    /// Keeping the forward's mask instead (bits or a word per element), so that the backward does not hash at all, cannot pay: the
    /// reductions are bound by their column-wise loads (a row stride of 1 KB), not by the hash. With no mask at all (an upper bound,
    /// wrong results) the two fused backward kernels took 382 samples per 10,000 of the Dense kernels' against 398 (3 interleaved
    /// pairs, Vector512, one pinned core, load 10–15): 4%, about 0.1% of a step, before the mask's extra stream out and back in.
    /// </summary>
    private static bool Materialises(Node node) => node.FusedDropout is not null && node.NeedsInputGradient;

    /// <summary>" + Dropout (L3, fused)" for the kernels' summaries.</summary>
    private static string DropoutText(Node node) => node.FusedDropout is Node d ? $" + Dropout {Float(d.Layer.Rate)} ({d.Name}, fused)" : string.Empty;

    /// <summary>The gradient view the backward reads: the fused dropout's (∂L/∂ its output), else the batch norm's own.</summary>
    private static string UpstreamGradient(Node node) => node.FusedDropout?.DConst ?? node.DConst;

    /// <summary>The backward's arguments after yp: the batch norm's own output (for f′) and its own gradient view (dn).</summary>
    private static string OutputArguments(Node node)
        => (BackwardOutputParameter(node).Length > 0 ? RefAt("ws", node.DerivativeSource) + ", " : string.Empty)
           + (Materialises(node) ? RefAt("ws", node.DConst) + ", " : string.Empty);

    private const string Mask = "DropoutMask";

    /// <summary>The kernels' name suffix of a fused dropout (its rate is a literal in them: KernelSet numbers differing texts).</summary>
    private static string DropoutSuffix(Node node) => node.FusedDropout is null ? string.Empty : "_Dropout";

    private static string Scale(Node dropout) => Float(1f / (1f - dropout.Layer.Rate));

    /// <summary>The forward's store pass over the columns [c0, c1): y = f(γ·(x − μ)/σ + β), and with a fused dropout yd; with
    /// GELU or SiLU fused (<see cref="Node.KeepsDerivative"/>) f′ at the same point, from the same evaluation, into fd (a null
    /// reference in inference keeps nothing).</summary>
    private static void EmitStorePass(CodeWriter w, VectorTarget t, Node node)
    {
        int n = node.Outputs, stride = node.StatsStride;
        bool keep = node.KeepsDerivative;
        string Z(VectorTarget v, string i, string c)
            => v.MultiplyAdd($"({v.Load("x", i)} - {v.Load("stats", c)}) * {v.Load("stats", $"{Int(stride)} + {c}")}", v.Load("gamma", c), v.Load("beta", c));
        string Value(VectorTarget v, string i, string c) => NetworkPlan.Invoke(node.Activation, node.Alpha, v, Z(v, i, c));
        // With f′ kept: value and f from one evaluation, f stored where the forward trains.
        string Evaluate(VectorTarget v, string i, string c)
            => keep ? $"{v.Type} value = {NetworkPlan.Operator(node.Activation)}.Invoke({Z(v, i, c)}, out {v.Type} f); if (keep) {v.Store("f", "fd", i)}"
                : $"{v.Type} value = {Value(v, i, c)};";
        if (keep) w.Line($"bool keep = !Unsafe.IsNullRef(ref fd); // training: {node.Activation}′ kept for the backward");
        if (node.FusedDropout is not Node drop)
        {
            w.Line(keep ? $"// y = f(γ·(x − μ)/σ + β), fd = f′ at the same point" : "// y = f(γ·(x − μ)/σ + β)");
            ActivationEmitter.EmitRowMapRange(w, t, n, (v, i, c) => keep ? $"{{ {Evaluate(v, i, c)} {v.Store("value", "y", i)} }}" : v.Store(Value(v, i, c), "y", i));
            return;
        }
        float rate = drop.Layer.Rate;
        bool keepY = node.Activation != ActKind.Identity && !keep;
        w.Line($"// y = f(γ·(x − μ)/σ + β); yd = {drop.Name}'s dropout of y (fused): element r·{Int(n)} + c kept × {Scale(drop)} by the mask of counter r·{Int(n)} + c under key.");
        w.Open("if (drop)");
        w.Line($"uint threshold = {Mask}.Threshold({Float(rate)}); // keep with probability 1 − {Float(rate)}");
        w.Line(keepY ? $"// y is stored too: the backward takes {node.Activation}′ from it."
            : keep ? $"// y itself is not needed in training here (the backward reads the kept {node.Activation}′)." : "// y itself is not needed in training here (no activation: the backward takes no f′).");
        ActivationEmitter.EmitRowBlocksRange(w, t, n, (v, i, c) =>
        {
            w.Line(Evaluate(v, i, c));
            if (keepY) w.Line(v.Store("value", "y", i));
            w.Line(v.Store($"{Mask}.Apply(value, (int)({i}), key, threshold, {Scale(drop)})", "yd", i));
        });
        w.Close();
        w.Open("else");
        w.Line("bool copy = !Unsafe.AreSame(ref y, ref yd); // inference passes y as yd: the dropout is the identity there, y is its output");
        ActivationEmitter.EmitRowBlocksRange(w, t, n, (v, i, c) =>
        {
            w.Line(Evaluate(v, i, c));
            w.Line(v.Store("value", "y", i));
            w.Line($"if (copy) {v.Store("value", "yd", i)}");
        });
        w.Close();
    }

    /// <summary>
    /// Opens the backward reductions' loop over the rows of column <paramref name="c"/> and returns the element offset in it. With a
    /// fused dropout one running offset i (element index and mask counter alike) steps by a row, in a do-while (rows ≥ 1): the JIT
    /// then gives the loop a preheader and moves the mask's invariant broadcasts out of it (a for loop kept them inside).
    /// The other batch-norm loops stay for loops: as do-whiles too (the forward's statistics pass, the dx pass, no-dropout reductions,
    /// the synchronised kernels' sums) FashionMlp's four batch-norm kernels took 677 samples per 10,000 of the Dense kernels' against
    /// 685 (6 interleaved pairs, Vector512) and 649 against 618 (3 pairs, Vector256): no change. The JIT already compiles the
    /// statistics pass's for loop to a counted loop of four instructions; in the dx pass the do-while traded reloads of two spilled
    /// pointers for reloads and stores.
    /// </summary>
    private static string OpenRowLoop(CodeWriter w, Node node, string c)
    {
        int n = node.Outputs;
        if (node.FusedDropout is null)
        {
            w.Open("for (nint r = 0; r < rows; r++)");
            return $"r * {Int(n)} + {c}";
        }
        w.Line($"nint i = {c}, end = rows * {Int(n)} + {c};");
        w.Open("do");
        return "i";
    }

    /// <summary>Closes <see cref="OpenRowLoop"/>.</summary>
    private static void CloseRowLoop(CodeWriter w, Node node)
    {
        if (node.FusedDropout is null) w.Close();
        else w.Close($" while ((i += {Int(node.Outputs)}) < end);");
    }

    /// <summary>
    /// ∂L/∂(γx̂ + β) at element <paramref name="i"/>: d; with a fused dropout d is ∂L/∂(its output), so its mask (when
    /// <paramref name="drop"/>; threshold, key in scope), then f′ of the fused activation from y, as the dropout backward forms them.
    /// </summary>
    private static string Upstream(Node node, VectorTarget v, string i, bool drop)
    {
        if (node.FusedDropout is not Node dropout) return v.Load("d", i);
        string d = drop ? $"{Mask}.Apply({v.Load("d", i)}, (int)({i}), key, threshold, {Scale(dropout)})" : v.Load("d", i);
        return node.Activation == ActKind.Identity ? d : $"{d} * {node.FusedDerivative(v, v.Load("y", i))}";
    }

    /// <summary>What the dx pass reads as ∂L/∂(γx̂ + β): d, or with a fused dropout dn (written by the reductions).</summary>
    private static string DxSource(Node node) => Materialises(node) ? "dn" : "d";

    /// <summary>
    /// Emits <paramref name="body"/> once (no fused dropout: body(false)), or under <c>if (drop)</c> with the keep threshold in
    /// scope and again for <c>drop == false</c> (every value kept, unscaled), as the dropout kernels branch.
    /// </summary>
    private static void EmitDropBranches(CodeWriter w, Node node, Action<bool> body)
    {
        if (node.FusedDropout is not Node dropout)
        {
            body(false);
            return;
        }
        w.Open("if (drop)");
        w.Line($"uint threshold = {Mask}.Threshold({Float(dropout.Layer.Rate)}); // {dropout.Name}'s mask, drawn again: keep with probability 1 − {Float(dropout.Layer.Rate)}");
        body(true);
        w.Close();
        w.Open("else");
        body(false);
        w.Close();
    }

    /// <summary>The kernels' extra parameters after y (forward) or yp (backward): the dropout's output, or the batch norm's own y for f′;
    /// the forward's kept f′ (GELU, SiLU).</summary>
    private static string ForwardDropoutParameters(Node node)
        => (node.FusedDropout is null ? string.Empty : "ref float yd, ") + (node.KeepsDerivative ? "ref float fd, " : string.Empty);

    /// <summary>The forward's kept-f′ argument after yd: the node's f′ view in training, a null reference in inference.</summary>
    private static string DerivativeArgument(Node node, bool inference)
        => !node.KeepsDerivative ? string.Empty : node.KeptArgument(inference) + ", ";

    private static string BackwardOutputParameter(Node node)
        => node.FusedDropout is not null && node.Activation != ActKind.Identity ? "ref float y, " : string.Empty;

    /// <summary>The mode parameters after rows (and train): whether dropout is on, and its key.</summary>
    private static string ModeParameters(Node node) => node.FusedDropout is null ? string.Empty : "bool drop, uint key, ";

    /// <summary>The arguments matching <see cref="ModeParameters"/>: <paramref name="drop"/> and the dropout's key at this step (0 when off).</summary>
    private static string ModeArguments(Node node, string drop)
        => node.FusedDropout is not Node dropout ? string.Empty : $"{drop}, {(drop == "false" ? "0u" : DropoutKey(dropout))}, ";

    /// <summary>A call ending in the whole column range, with <c>COLUMNS</c> in its place (ColumnShare fills in a thread's share).</summary>
    private string Columns(string call)
    {
        string all = $", 0, {Int(Node.Outputs)})";
        if (!call.EndsWith(all, StringComparison.Ordinal)) throw new GeneratorBugException($"{Node.Name}: a batch-norm call that does not end in its columns: {call}");
        return call.Substring(0, call.Length - all.Length) + ", COLUMNS)";
    }
}
