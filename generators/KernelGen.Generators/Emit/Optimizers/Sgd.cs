using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit.Optimizers;

/// <summary>Plain SGD: w ← w − η·g. No state.</summary>
internal sealed class Sgd : OptimizerRule
{
    public override OptimizerKind Kind => OptimizerKind.Sgd;

    public override string Name(OptimizerSpec o) => "SGD";

    public override void Element(OptimizerElement e) => e.Line($"pi = {e.MultiplyAdd("-" + e.Lr, "gi", "pi")};");
}
