using System.Linq;

namespace KernelGen.Generators.Emit;

/// <summary>When a phase of a step is worth splitting over threads (thresholds measured, see the reasons).</summary>
internal static class ThreadsPlan
{
    /// <summary>A dense phase is split from this many FLOPs on.</summary>
    public const long ParallelFlops = 1_000_000;
    public const string FlopsReason = "measured: an empty pool phase costs 0.6 µs on 2 threads (kernelgen bench); 1 MFLOP is ≈ 5 µs of one core's GEMM, so halving it saves ≈ 2.5 µs, 4× the round trip";

    /// <summary>The update is split from this many parameters on.</summary>
    public const int ParallelParameters = 32_768;
    public const string ParametersReason = "≈ 10 µs of fused update on one core (0.29 ns/parameter measured for AdamW)";

    /// <summary>A batch-norm phase is split from this many elements (rows × features) on.</summary>
    public const long ParallelElements = 8_192;
    public const string ElementsReason = "≈ 4 passes over the elements, ≈ 5 µs at 8K elements on one core, several times the round trip";

    public static bool HasParallelWork(NetworkPlan plan)
        => plan.ParameterCount >= ParallelParameters
        || plan.Nodes.Any(n => n.IsDense && 2L * plan.Spec.BatchSize * n.Inputs * n.Outputs >= ParallelFlops);
}
