using System.Collections.Generic;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit.Optimizers;

/// <summary>
/// Adam with bias correction: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², w ← w − η·m̂ / (√v̂ + ε), folded into
/// the per-step constants c1 = η / (1 − β₁ᵗ) and c2 = 1 / √(1 − β₂ᵗ). AdamW with decoupled decay.
/// </summary>
internal sealed class Adam : OptimizerRule
{
    private static readonly string[] State = { "m", "v" };

    public override OptimizerKind Kind => OptimizerKind.Adam;

    public override string Name(OptimizerSpec o) => o.DecoupledDecay ? "AdamW" : "Adam";

    public override IReadOnlyList<string> Slots => State;

    public override void StepConstants(CodeWriter w, OptimizerSpec o)
    {
        w.Line("long t = _step + 1;");
        w.Line($"float c1 = (float)(lr / (1.0 - global::System.Math.Pow({Float(o.Beta1)}, t))); // η / (1 − β₁ᵗ)");
        w.Line($"float c2 = (float)(1.0 / global::System.Math.Sqrt(1.0 - global::System.Math.Pow({Float(o.Beta2)}, t))); // 1 / √(1 − β₂ᵗ)");
    }

    public override void Element(OptimizerElement e)
    {
        OptimizerSpec o = e.Spec;
        e.Line($"{e.Type} m = {e.MultiplyAdd(e.Constant(o.Beta1), e.LoadSlot(0), e.Constant(1f - o.Beta1) + " * gi")};");
        e.Line($"{e.Type} v = {e.MultiplyAdd(e.Constant(o.Beta2), e.LoadSlot(1), e.Constant(1f - o.Beta2) + " * gi * gi")};");
        e.Line(e.StoreSlot("m", 0));
        e.Line(e.StoreSlot("v", 1));
        e.Line($"pi = pi - {e.C1} * m / ({e.Sqrt("v")} * {e.C2} + {e.Constant(o.Epsilon)});");
    }
}
