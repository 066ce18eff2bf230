using System.Collections.Generic;
using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit.Optimizers;

/// <summary>
/// Nesterov momentum in the look-ahead variables the parameters hold (w̃ = w + ρ·v):
/// v ← ρ·v − η·g, w̃ ← w̃ − ρ·v_old + (1 + ρ)·v.
/// </summary>
internal sealed class Nesterov : OptimizerRule
{
    private static readonly string[] State = { "v" };

    public override OptimizerKind Kind => OptimizerKind.Nesterov;

    public override string Name(OptimizerSpec o) => "Nesterov momentum";

    public override IReadOnlyList<string> Slots => State;

    public override void Element(OptimizerElement e)
    {
        float rho = e.Spec.Rho;
        e.Line($"{e.Type} old = {e.LoadSlot(0)};");
        e.Line($"{e.Type} v = {e.Constant(rho)} * old - {e.Lr} * gi;");
        e.Line(e.StoreSlot("v", 0));
        e.Line($"pi = pi - {e.Constant(rho)} * old + {e.Constant(1f + rho)} * v;");
    }
}
