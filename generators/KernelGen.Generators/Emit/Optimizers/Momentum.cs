using System.Collections.Generic;
using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit.Optimizers;

/// <summary>Momentum: v ← ρ·v + g (averaged form: v ← ρ·v + (1 − ρ)·g), w ← w − η·v.</summary>
internal sealed class Momentum : OptimizerRule
{
    private static readonly string[] State = { "v" };

    public override OptimizerKind Kind => OptimizerKind.Momentum;

    public override string Name(OptimizerSpec o) => o.AveragedMomentum ? "momentum (averaged)" : "momentum";

    public override IReadOnlyList<string> Slots => State;

    public override void Element(OptimizerElement e)
    {
        float rho = e.Spec.Rho;
        e.Line($"{e.Type} v = {e.LoadSlot(0)};");
        e.Line(e.Spec.AveragedMomentum
            ? $"v = {e.MultiplyAdd(e.Constant(rho), "v", e.Constant(1f - rho) + " * gi")};"
            : $"v = {e.MultiplyAdd(e.Constant(rho), "v", "gi")};");
        e.Line(e.StoreSlot("v", 0));
        e.Line($"pi = {e.MultiplyAdd("-" + e.Lr, "v", "pi")};");
    }
}
