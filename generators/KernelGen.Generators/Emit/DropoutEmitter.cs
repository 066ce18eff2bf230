using System.Collections.Generic;
using KernelGen.Generators.Emit.Targets;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Kernels of an inverted-dropout node (seed deck 000, "Dropout"): the mask is drawn in registers from a
/// counter-based hash of (key, element index), never stored; backward regenerates it from the same key.
/// </summary>
internal static class DropoutEmitter
{
    private const string Mask = "global::KernelGen.Ops.DropoutMask";

    public static string ThresholdConst(Node node) => node.Name + "_KeepThreshold";

    public static void Emit(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        int n = node.Outputs;
        float rate = node.Layer.Rate;
        string scale = Float(1f / (1f - rate));
        w.Line($"/// <summary>{node.Name}: keep ⇔ (hash(key, index) ≫ 8) &lt; this, i.e. with probability 1 − {Float(rate)}.</summary>");
        w.Line($"private static readonly uint {ThresholdConst(node)} = {Mask}.Threshold({Float(rate)});");
        w.Line();
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · Dropout p = {Float(rate)}: kept values × {scale} (= 1/(1 − p)), the rest 0; a copy when <paramref name=\"drop\"/> is false. Forward, {t.IsaName}.</summary>");
            w.Line($"// x, y: [rows × {Int(n)}]; element i of the batch uses counter i under <paramref name=\"key\"/>; first: the batch index of x[0] (a thread's share of the rows).");
            w.Line(Aggressive);
            w.Open($"private static void {node.Name}_Forward_{t.Suffix}(ref float x, ref float y, int rows, bool drop, uint key, int first)");
            w.Open("if (drop)");
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
            w.Line($"/// <summary>{node.Name} · Dropout. Backward: dx = d ⊙ mask × {scale} (the same mask, regenerated){(fuse ? $" ⊙ {prev.Activation}′ of {prev.Name}'s output (fused)" : string.Empty)}, {t.IsaName}.</summary>");
            w.Line(Aggressive);
            w.Open($"private static void {node.Name}_Backward_{t.Suffix}(ref float d, ref float dx, {(fuse ? "ref float yp, " : string.Empty)}int rows, bool drop, uint key, int first)");
            string Fused(VectorTarget v, string value, string i) => fuse ? $"{value} * {prev.OutputDerivative(v, v.Load("yp", i))}" : value;
            w.Open("if (drop)");
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
