using System;
using System.Collections.Generic;
using KernelGen.Generators.Emit.Targets;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>Kernels of a stand-alone activation node (one not fused into a dense layer): element-wise forward and backward.</summary>
internal static class ActivationEmitter
{
    public static void Emit(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        string op = NetworkPlan.Operator(node.Activation);
        int n = node.Outputs;
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · {node.Activation} on {Int(n)} values per row. Forward, {t.IsaName}.</summary>");
            w.Line($"// x, y: [rows × {Int(n)}].");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
            w.Open($"private static void {node.Name}_Forward_{t.Suffix}(ref float x, ref float y, int rows)");
            EmitMap(w, t, $"rows * {Int(n)}", (v, i) => v.Store($"{op}.Invoke({v.Load("x", i)})", "y", i));
            w.Close();
            w.Line();
        }
        if (!node.NeedsInputGradient) return; // no dense layer below: nothing needs ∂L/∂x here
        Node prev = node.Previous!; // NeedsInputGradient implies a previous node
        bool fuse = prev.GradientIncludesDerivative;
        string prevOp = NetworkPlan.Operator(prev.Activation);
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · {node.Activation}. Backward: dx = d ⊙ {node.Activation}′(y){(fuse ? $" ⊙ {prev.Activation}′ of {prev.Name}'s output (fused)" : string.Empty)}, {t.IsaName}.</summary>");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
            w.Open($"private static void {node.Name}_Backward_{t.Suffix}(ref float d, ref float y, ref float dx, {(fuse ? "ref float yp, " : string.Empty)}int rows)");
            EmitMap(w, t, $"rows * {Int(n)}", (v, i) =>
            {
                string value = $"{v.Load("d", i)} * {op}.Derivative({v.Load("y", i)})";
                if (fuse) value += $" * {prevOp}.Derivative({v.Load("yp", i)})";
                return v.Store(value, "dx", i);
            });
            w.Close();
            w.Line();
        }
    }

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
}
