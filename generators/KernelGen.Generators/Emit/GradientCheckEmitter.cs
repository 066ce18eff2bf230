using System.Collections.Generic;
using System.Linq;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// The finite-gradient check fused into the backward (issue 14 part 3, docs/kernels.md): the dense dW kernels probe the values they
/// store and set the float <see cref="Slot"/> after the gradients to NaN when one is not finite (DenseEmitter.Backward); TrainStep
/// resets the slot before the backward and asks <c>GradientsFinite()</c> after it, which reads the gradients only where the kernels
/// did not check them (or the slot is set: a tile's sum of large finite values can set it).
/// </summary>
internal static class GradientCheckEmitter
{
    /// <summary>The layout constant of the check slot: the gradient block's last line, past the optimizer's reach.</summary>
    internal const string Slot = "GradientCheckSlot";

    /// <summary>The slot's constants in the kernel class's layout.</summary>
    internal static void EmitConstants(CodeWriter w)
    {
        w.Line("// The gradient block's last line, past the optimizer's reach: the dense dW kernels set this float to NaN when a value they");
        w.Line("// stored is not finite (TrainStep resets it before the backward and reads it after).");
        w.Line($"internal const int {Slot} = ParameterCapacity, GradientCapacity = ParameterCapacity + 16;");
    }

    /// <summary>
    /// GradientsFinite() in the user's class: whether the gradients the update will use are finite. The dense segments (weights and
    /// biases, written by the dW kernels) are read only when the slot is set; the others (γ, β, α: small) always; a frozen layer's
    /// gradient is dropped by the update, so it does not count.
    /// </summary>
    internal static void EmitGradientsFinite(CodeWriter w, NetworkPlan plan)
    {
        const string G = "global::KernelGen.Runtime.Guard";
        var checkedByKernels = new HashSet<string>(plan.Nodes.Where(n => n.IsDense).SelectMany(n => n.Layer.Bias ? new[] { n.WConst, n.BConst } : new[] { n.WConst }));
        w.Line("/// <summary>Whether the last backward's gradients that the update will use are finite: the dense dW kernels checked what they");
        w.Line("/// stored (the check slot stays 0; when it is set they are read, since a tile's sum of large finite values can set it), the");
        w.Line("/// other segments are read here; frozen layers' gradients are dropped by the update and not checked.</summary>");
        w.Open("private bool GradientsFinite()");
        w.Line("ref float g = ref _gradients.Ref;");
        w.Line("global::System.ReadOnlySpan<float> gradients = global::System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref g, ParameterCount);");
        w.Line($"bool dense = global::System.Runtime.CompilerServices.Unsafe.Add(ref g, {Slot}) == 0f; // the dW kernels stored finite values only");
        foreach (ParameterSegment seg in plan.Segments)
        {
            string read = $"!_frozen[{Int(seg.Layer)}] && !{G}.AllFinite(gradients.Slice({seg.Start}, {Int(seg.Length)}))";
            w.Line(checkedByKernels.Contains(seg.Start) ? $"if (!dense && {read}) return false; // {seg.What}" : $"if ({read}) return false; // {seg.What}");
        }
        w.Line("return true;");
        w.Close();
    }
}
