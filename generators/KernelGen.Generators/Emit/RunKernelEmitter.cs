using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generators.Emit.Targets;
using KernelGen.Generators.Model;
using static KernelGen.Generators.Emit.CodeWriter;
using static KernelGen.Generators.Emit.NetworkEmitter;
using static KernelGen.Generators.Emit.WalkEmitter;

namespace KernelGen.Generators.Emit;

/// <summary>
/// RunKernel: one GEMM kernel of one dense layer on the network's own buffers (the public method in the user's class and
/// RunKernel_ per width in the kernel class), so benchmarks and profilers time each kernel apart from the rest of a step.
/// </summary>
internal static class RunKernelEmitter
{
    /// <summary>The dense GEMM kernels RunKernel can run: (node, KernelPass value and name, kernel); a kernel's number is layer · 3 + pass.</summary>
    internal static List<(Node Node, int Pass, string PassName, string Method)> GemmKernels(NetworkPlan plan)
    {
        var kernels = new List<(Node Node, int Pass, string PassName, string Method)>();
        foreach (Node n in plan.Nodes.Where(n => n.IsDense))
        {
            kernels.Add((n, 0, "Forward", "Forward"));
            kernels.Add((n, 1, "WeightGradient", "BackwardWeights"));
            if (n.NeedsInputGradient) kernels.Add((n, 2, "InputGradient", "BackwardInput"));
        }
        return kernels;
    }

    /// <summary>
    /// RunKernel: one GEMM kernel of one dense layer on the network's own buffers, so benchmarks and
    /// profilers can time each kernel (µs, GFLOP/s) apart from the rest of a step.
    /// </summary>
    internal static void EmitRunKernel(CodeWriter w, NetworkPlan plan)
    {
        const string G = "global::KernelGen.Runtime.Guard";
        const string P = "global::KernelGen.KernelPass";
        string list = string.Join(", ", GemmKernels(plan).Select(k => $"({Int(k.Node.Layer.Index)}, {k.PassName})"));
        w.Line("/// <summary>");
        w.Line("/// Runs one GEMM kernel of one dense layer (its 0-based position in the attribute stack) on this");
        w.Line("/// network's own buffers, for benchmarks and profiling: <paramref name=\"inputs\"/> gives the row count and the");
        w.Line("/// first layer's input; the other operands are whatever the last step left in the workspace. Forward overwrites");
        w.Line("/// that layer's output (a layer with a PReLU fused: the PReLU's output too, its epilogue included), WeightGradient");
        w.Line("/// its slice of <see cref=\"Gradients\"/>; no parameter changes.");
        w.Line($"/// Kernels: {list}.");
        w.Line("/// </summary>");
        w.Open($"public void RunKernel(int layer, {P} pass, global::System.ReadOnlySpan<float> inputs)");
        w.Line("using var entered = _gate.Enter(nameof(RunKernel));");
        w.Line($"int rows = {G}.Rows(inputs.Length, InputSize, nameof(inputs), \"InputSize\");");
        w.Line($"{G}.Batch(inputs.Length, rows, InputSize, BatchSize, nameof(inputs), nameof(inputs));");
        w.Line("// An unknown (layer, pass) matches no kernel and throws before any has run.");
        w.Line("long kernel = (uint)pass <= 2u ? (long)layer * 3 + (int)pass : -1; // a pass outside the enum matches no case");
        w.Line("ref float x = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(inputs);");
        if (plan.Nodes.Any(DenseEmitter.IsTrainingPacked)) w.Line($"if (_packedStale && kernel >= 0 && rows >= {DenseEmitter.TrainingPackedRowsConst}) RepackTraining(); // the forward kernels read the packed weights");
        string lambda = plan.Spec.Optimizer.CoupledDecay ? ", _weightDecay" : string.Empty;
        string fArg = plan.FoldedLength > 0 ? "ref _folded.Ref, " : string.Empty;
        w.Line("bool ran = _isa switch");
        w.Line("{");
        foreach (VectorTarget t in VectorTarget.All)
            w.Line($"    {(t.IsScalar ? "_" : $"global::KernelGen.Isa.{t.IsaName}")} => RunKernel_{t.Suffix}(kernel, ref x, ref _parameters.Ref, ref _gradients.Ref, ref _workspace.Ref, {fArg}rows{lambda}),");
        w.Line("};");
        w.Line($"if (!ran) {G}.NoKernel(layer, pass, \"{list}\");");
        w.Line("global::System.GC.KeepAlive(this);");
        w.Close();
        w.Line();
    }

    /// <summary>RunKernel_: the GEMM kernel numbered layer · 3 + pass at one width; false when there is none.</summary>
    internal static void EmitRunKernels(CodeWriter w, NetworkPlan plan, IReadOnlyList<VectorTarget> targets)
    {
        var kernels = GemmKernels(plan);
        string lambdaP = plan.Spec.Optimizer.CoupledDecay ? ", float lambda" : string.Empty;
        foreach (VectorTarget t in targets)
        {
            w.Line($"/// <summary>One dense GEMM kernel (number layer · 3 + KernelPass) on the network's buffers, {t.IsaName}; false if there is none.</summary>");
            w.Open($"internal static bool RunKernel_{t.Suffix}(long kernel, ref float x, ref float p, ref float g, ref float ws, {(plan.FoldedLength > 0 ? "ref float f, " : string.Empty)}int rows{lambdaP})");
            w.Open("switch (kernel)");
            foreach (var k in kernels)
                w.Line($"case {Int(k.Node.Layer.Index * 3 + k.Pass)}: {DenseEmitter.Call(k.Node, k.Method, t)}; return true;");
            w.Line("default: return false;");
            w.Close();
            w.Close();
            w.Line();
        }
    }
}
