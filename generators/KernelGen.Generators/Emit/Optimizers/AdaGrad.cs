using System.Collections.Generic;
using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit.Optimizers;

/// <summary>AdaGrad: h ← h + g², w ← w − η·g / (√h + ε).</summary>
internal sealed class AdaGrad : OptimizerRule
{
    private static readonly string[] State = { "h" };

    public override OptimizerKind Kind => OptimizerKind.AdaGrad;

    public override string Name(OptimizerSpec o) => "AdaGrad";

    public override IReadOnlyList<string> Slots => State;

    public override void Element(OptimizerElement e)
    {
        e.Line($"{e.Type} h = {e.LoadSlot(0)};");
        e.Line($"h = {e.MultiplyAdd("gi", "gi", "h")};");
        e.Line(e.StoreSlot("h", 0));
        e.Line($"pi = pi - {e.Lr} * gi / ({e.Sqrt("h")} + {e.Constant(e.Spec.Epsilon)});");
    }
}
