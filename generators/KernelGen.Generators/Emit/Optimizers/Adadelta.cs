using System.Collections.Generic;
using KernelGen.Generators.Model;

namespace KernelGen.Generators.Emit.Optimizers;

/// <summary>
/// Adadelta (Zeiler 2012; as torch.optim.Adadelta): E[g²] ← ρ·E[g²] + (1 − ρ)·g²,
/// Δx = √(E[Δx²] + ε) / √(E[g²] + ε) · g, E[Δx²] ← ρ·E[Δx²] + (1 − ρ)·Δx², w ← w − η·Δx.
/// Defaults as PyTorch: ρ = 0.9, ε = 1e-6, η = 1.
/// </summary>
internal sealed class Adadelta : OptimizerRule
{
    // PyTorch's state names: E[g²] is square_avg, E[Δx²] is acc_delta.
    private static readonly string[] State = { "square_avg", "acc_delta" };

    public override OptimizerKind Kind => OptimizerKind.Adadelta;

    public override string Name(OptimizerSpec o) => "Adadelta";

    public override IReadOnlyList<string> Slots => State;

    public override float DefaultLearningRate => 1f;

    public override float DefaultEpsilon => 1e-6f;

    public override void Element(OptimizerElement e)
    {
        float rho = e.Spec.Rho;
        string eps = e.Constant(e.Spec.Epsilon);
        e.Line($"{e.Type} sq = {e.MultiplyAdd(e.Constant(rho), e.LoadSlot(0), e.Constant(1f - rho) + " * gi * gi")}; // E[g²]");
        e.Line($"{e.Type} acc = {e.LoadSlot(1)}; // E[Δx²]");
        e.Line($"{e.Type} d = {e.Sqrt("acc + " + eps)} / {e.Sqrt("sq + " + eps)} * gi; // Δx");
        e.Line($"acc = {e.MultiplyAdd(e.Constant(rho), "acc", e.Constant(1f - rho) + " * d * d")};");
        e.Line(e.StoreSlot("sq", 0));
        e.Line(e.StoreSlot("acc", 1));
        e.Line($"pi = {e.MultiplyAdd("-" + e.Lr, "d", "pi")};");
    }
}
