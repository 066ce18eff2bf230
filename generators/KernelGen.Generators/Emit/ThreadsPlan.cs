using System.Linq;

namespace KernelGen.Generators.Emit;

/// <summary>When a phase of a step is worth splitting over threads (thresholds measured, see the reasons).</summary>
internal static class ThreadsPlan
{
    /// <summary>A dense phase is split from this many FLOPs on.</summary>
    public const long ParallelFlops = 1_000_000;
    public const string FlopsReason = "a pool round trip costs ≈ 2–4 µs here; 1 MFLOP is ≈ 5 µs of one core's GEMM, below it one thread is as fast";

    /// <summary>The update is split from this many parameters on.</summary>
    public const int ParallelParameters = 32_768;
    public const string ParametersReason = "≈ 10 µs of fused update on one core (0.29 ns/parameter measured for AdamW)";

    public static bool HasParallelWork(NetworkPlan plan)
        => plan.ParameterCount >= ParallelParameters
        || plan.Nodes.Any(n => n.IsDense && 2L * plan.Spec.BatchSize * n.Inputs * n.Outputs >= ParallelFlops);
}
