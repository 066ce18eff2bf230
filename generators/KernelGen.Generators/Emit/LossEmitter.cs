using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// The loss, per row through KernelGen.Ops.LossOperators (rows are the network's few outputs, so these
/// stay scalar at every width). Writes the gradient the last node's backward consumes.
/// </summary>
internal static class LossEmitter
{
    private const string Ops = "LossOperators";

    public static void Emit(CodeWriter w, NetworkPlan plan)
    {
        Node last = plan.Last;
        int n = plan.Spec.Outputs;
        string y = $"{last.YConst} + r * {Int(n)}";
        string At(string offset) => Targets.VectorTarget.At("ws", offset);
        bool classifier = plan.Spec.Loss == LossKind.SoftmaxCrossEntropy;
        string targetType = classifier ? "int" : "float";
        string targetName = classifier ? "labels" : "targets";

        w.Line($"/// <summary>Loss and ∂L/∂output for <paramref name=\"rows\"/> rows; returns the mean loss.</summary>");
        if (classifier)
            w.Line($"// Softmax cross-entropy: p = softmax(z), L = −log p[label], ∂L/∂z = (p − onehot)/rows. p is kept at Probabilities.");
        else
            w.Line($"// Mean squared error: L = Σ (y − t)² / (rows · {Int(n)}), ∂L/∂y = 2(y − t)/(rows · {Int(n)}).");
        w.Open($"internal static float LossAndGradient(ref float ws, ReadOnlySpan<{targetType}> {targetName}, int rows)");
        w.Line("double sum = 0;");
        if (classifier)
        {
            w.Line("float scale = 1f / rows;");
            w.Line($"for (int r = 0; r < rows; r++) sum += {Ops}.SoftmaxCrossEntropy(ref {At(y)}, {Int(n)}, labels[r], ref {At($"Probabilities + r * {Int(n)}")}, ref {At($"{last.DConst} + r * {Int(n)}")}, scale);");
        }
        else
        {
            w.Line($"float scale = 1f / (rows * {Int(n)});");
            w.Line($"ref float t = ref MemoryMarshal.GetReference(targets);");
            w.Line($"for (int r = 0; r < rows; r++) sum += {Ops}.SquaredError(ref {At(y)}, ref {Targets.VectorTarget.At("t", $"r * {Int(n)}")}, {Int(n)}, ref {At($"{last.DConst} + r * {Int(n)}")}, scale);");
        }
        if (last.GradientIncludesDerivative)
        {
            w.Line($"// {last.Name}'s backward consumes ∂L/∂(pre-activation): multiply by {last.DerivativeText}.");
            w.Line($"for (int i = 0; i < rows * {Int(n)}; i++) {At($"{last.DConst} + i")} *= {last.FusedDerivative(Targets.VectorTarget.Scalar, At($"{last.DerivativeSource} + i"))};");
        }
        w.Line(classifier ? "return (float)(sum / rows);" : $"return (float)(sum / (rows * {Int(n)}));");
        w.Close();
        w.Line();

        w.Line("/// <summary>Summed loss over <paramref name=\"rows\"/> rows (no gradient); counts correct arg-max predictions.</summary>");
        w.Open($"internal static double LossSum(ref float ws, ReadOnlySpan<{targetType}> {targetName}, int rows, ref int correct)");
        w.Line("double sum = 0;");
        if (classifier)
        {
            w.Open("for (int r = 0; r < rows; r++)");
            w.Line($"sum += {Ops}.SoftmaxCrossEntropyLoss(ref {At(y)}, {Int(n)}, labels[r], ref {At($"Probabilities + r * {Int(n)}")});");
            w.Line($"if ({Ops}.ArgMax(ref {At(y)}, {Int(n)}) == labels[r]) correct++;");
            w.Close();
        }
        else
        {
            w.Line($"ref float t = ref MemoryMarshal.GetReference(targets);");
            w.Line($"for (int r = 0; r < rows; r++) sum += {Ops}.SquaredErrorLoss(ref {At(y)}, ref {Targets.VectorTarget.At("t", $"r * {Int(n)}")}, {Int(n)});");
        }
        w.Line("return sum;");
        w.Close();
        w.Line();

        w.Line($"/// <summary>Writes what Predict returns for <paramref name=\"rows\"/> rows: {(classifier ? "softmax probabilities" : "the last layer's outputs")}.</summary>");
        w.Open("internal static void WriteOutputs(ref float ws, ref float outputs, int rows)");
        if (classifier)
            w.Line($"for (int r = 0; r < rows; r++) {Ops}.Softmax(ref {At(y)}, {Int(n)}, ref {Targets.VectorTarget.At("outputs", $"r * {Int(n)}")}, out _);");
        else
            w.Line($"MemoryMarshal.CreateReadOnlySpan(ref {At(last.YConst)}, rows * {Int(n)}).CopyTo(MemoryMarshal.CreateSpan(ref outputs, rows * {Int(n)}));");
        w.Close();
    }
}
