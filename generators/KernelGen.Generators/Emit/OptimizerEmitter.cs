using System.Collections.Generic;
using KernelGen.Generators.Emit.Targets;
using static KernelGen.Generators.Emit.CodeWriter;

namespace KernelGen.Generators.Emit;

/// <summary>The optimizer: one fused pass over the whole (padded) parameter block per step.</summary>
internal static class OptimizerEmitter
{
    public static void Emit(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets)
    {
        float lr = plan.Spec.Optimizer.LearningRate;
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>SGD: w ← w − {Float(lr).TrimEnd('f')}·g over all {Int(plan.ParameterCapacity)} floats, {t.IsaName}.</summary>");
            w.Line($"// {Int(plan.ParameterCapacity)} = {Int(plan.ParameterCount)} parameters padded with zeros to a multiple of 16: no tail at any width.");
            w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
            w.Open($"private static void Update_{t.Suffix}(ref float p, ref float g)");
            w.Line($"{t.Type} step = {t.Broadcast(Float(-lr))};");
            w.Line($"for (int i = 0; i < {Int(plan.ParameterCapacity)}; i += {Int(t.Lanes)}) {t.Store(t.MultiplyAdd("step", t.Load("g", "i"), t.Load("p", "i")), "p", "i")}");
            w.Close();
            w.Line();
        }
    }
}
