using System.Collections.Generic;
using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit.Optimizers;

/// <summary>RMSProp: h ← ρ·h + (1 − ρ)·g², w ← w − η·g / (√h + ε).</summary>
internal sealed class RmsProp : OptimizerRule
{
    private static readonly string[] State = { "h" };

    public override OptimizerKind Kind => OptimizerKind.RmsProp;

    public override string Name(OptimizerSpec o) => "RMSProp";

    public override IReadOnlyList<string> Slots => State;

    public override float DefaultRho => 0.99f;

    public override void Element(OptimizerElement e)
    {
        float rho = e.Spec.Rho;
        e.Line($"{e.Type} h = {e.LoadSlot(0)};");
        e.Line($"h = {e.MultiplyAdd(e.Constant(rho), "h", e.Constant(1f - rho) + " * gi * gi")};");
        e.Line(e.StoreSlot("h", 0));
        e.Line($"pi = pi - {e.Lr} * gi / ({e.Sqrt("h")} + {e.Constant(e.Spec.Epsilon)});");
    }
}
