using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// Kernels of a maxout node (seed deck 000, "Maxout"): y[u] = max_j x[j·n + u] over the k pieces the dense
/// layer before it wrote as k blocks of n units; backward routes d to the first piece that attains the max.
/// </summary>
internal sealed class MaxoutEmitter : LayerEmitter
{
    public MaxoutEmitter(LayerSpec layer, Node? node) : base(layer, node) { }

    public override string Summary => $"Maxout {Int(Layer.Pieces)}";

    public override IEnumerable<string> InfoSettings
    {
        get { yield return $"Pieces = {Int(Layer.Pieces)}"; }
    }

    public override string ForwardCall(VectorTarget t, string input, string train, string drop, bool rowOffset = false)
    {
        Node n = Node;
        string y = RefAt("ws", rowOffset ? $"{n.YConst} + r0 * {Int(n.Outputs)}" : n.YConst);
        return $"{n.KernelName}_Forward_{t.Suffix}({input}, {y}, rows)";
    }

    public override string? BackwardCall(VectorTarget t)
    {
        Node n = Node;
        return n.NeedsInputGradient ? $"{n.KernelName}_Backward_{t.Suffix}({Input(n)}, {RefAt("ws", n.DConst)}, {RefAt("ws", n.Previous!.DConst)}, rows);" : null;
    }

    /// <summary>Maxout_{inputs}to{units}.</summary>
    public override string Signature => $"Maxout_{Int(Node.Inputs)}to{Int(Node.Outputs)}";

    public override void EmitKernels(CodeWriter w, IReadOnlyList<VectorTarget> targets) => Emit(w, Node, targets);


    public static void Emit(CodeWriter w, Node node, IReadOnlyList<VectorTarget> targets)
    {
        int n = node.Outputs, k = node.Layer.Pieces, width = n * k;
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · Maxout of {Int(k)} pieces → {Int(n)} units. Forward, {t.IsaName}.</summary>");
            w.Line($"// x: [rows × {Int(width)}] (piece j of unit u at j·{Int(n)} + u), y: [rows × {Int(n)}].");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_Forward_{t.Suffix}(ref float x, ref float y, int rows)");
            ActivationEmitter.EmitRowMap(w, t, n, (v, i, c) =>
            {
                var sb = new StringBuilder("{ ");
                sb.Append($"{v.Type} m = {v.Load("x", $"r * {Int(width)} + {c}")}; ");
                for (int j = 1; j < k; j++) sb.Append($"m = {v.Max("m", v.Load("x", $"r * {Int(width)} + {Int(j * n)} + {c}"))}; ");
                sb.Append(v.Store("m", "y", i)).Append(" }");
                return sb.ToString();
            });
            w.Close();
            w.Line();
        }
        if (!node.NeedsInputGradient) return;
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>{node.Name} · Maxout. Backward: dx = d at the first piece attaining the max, 0 at the others, {t.IsaName}.</summary>");
            w.Line(Aggressive);
            w.Open($"private static void {node.KernelName}_Backward_{t.Suffix}(ref float x, ref float d, ref float dx, int rows)");
            ActivationEmitter.EmitRowMap(w, t, n, (v, i, c) =>
            {
                var sb = new StringBuilder("{ ");
                string X(int j) => v.Load("x", $"r * {Int(width)} + {Int(j * n)} + {c}");
                string at(int j) => $"r * {Int(width)} + {Int(j * n)} + {c}";
                sb.Append($"{v.Type} m = {X(0)}; ");
                for (int j = 1; j < k; j++) sb.Append($"m = {v.Max("m", X(j))}; ");
                sb.Append($"{v.Type} g = {v.Load("d", i)}; ");
                if (v.IsScalar)
                {
                    sb.Append("bool taken = false; ");
                    for (int j = 0; j < k; j++)
                        sb.Append($"if (!taken && {X(j)} == m) {{ {v.Store("g", "dx", at(j))} taken = true; }} else {{ {v.Store("0f", "dx", at(j))} }} ");
                }
                else
                {
                    sb.Append($"{v.Type} taken = {v.Zero}; ");
                    for (int j = 0; j < k; j++)
                    {
                        sb.Append($"{v.Type} e{j} = {v.EqualsAndNot(X(j), "m", "taken")}; ");
                        sb.Append(v.Store($"g & e{j}", "dx", at(j))).Append(' ');
                        if (j < k - 1) sb.Append($"taken |= e{j}; ");
                    }
                }
                sb.Append('}');
                return sb.ToString();
            });
            w.Close();
            w.Line();
        }
    }
}
