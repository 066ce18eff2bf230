using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace KernelGen.Runtime;

/// <summary>Resolves <see cref="Isa.Auto"/> to the widest body the CPU accelerates.</summary>
public static class IsaSupport
{
    /// <summary>The width <see cref="Isa.Auto"/> picks on this machine.</summary>
    public static Isa Best =>
        Vector512.IsHardwareAccelerated ? Isa.Vector512 :
        Vector256.IsHardwareAccelerated ? Isa.Vector256 :
        Vector128.IsHardwareAccelerated ? Isa.Vector128 :
        Isa.Scalar;

    /// <summary>Whether <paramref name="isa"/> runs in hardware here (others still run, in software).</summary>
    public static bool IsAccelerated(Isa isa) => isa switch
    {
        Isa.Scalar => true,
        Isa.Vector128 => Vector128.IsHardwareAccelerated,
        Isa.Vector256 => Vector256.IsHardwareAccelerated,
        Isa.Vector512 => Vector512.IsHardwareAccelerated,
        Isa.Auto => true,
        _ => false,
    };

    /// <summary>Maps <see cref="Isa.Auto"/> to <see cref="Best"/>; rejects values outside the enum.</summary>
    public static Isa Resolve(Isa requested, string name = "isa") => requested switch
    {
        Isa.Auto => Best,
        Isa.Scalar or Isa.Vector128 or Isa.Vector256 or Isa.Vector512 => requested,
        _ => throw new ArgumentOutOfRangeException(name, requested, "Expected Auto, Scalar, Vector128, Vector256 or Vector512."),
    };

    /// <summary>Whether this process runs as a NativeAOT binary (its instruction set was fixed at publish).</summary>
    public static bool IsNativeAot => !RuntimeFeature.IsDynamicCodeSupported;

    /// <summary>Whether the processor itself reports AVX-512F and AVX-512BW (CPUID leaf 7), whatever this process
    /// was compiled or configured to use. <c>false</c> off x86.</summary>
    public static bool CpuHasAvx512
    {
        get
        {
            if (!X86Base.IsSupported) return false;
            (int _, int ebx, int _, int _) = X86Base.CpuId(7, 0);
            return (ebx & (1 << 16)) != 0 && (ebx & (1 << 30)) != 0;
        }
    }

    /// <summary>Whether the processor itself reports AVX2 and FMA (CPUID leaves 7 and 1). <c>false</c> off x86.</summary>
    public static bool CpuHasAvx2Fma
    {
        get
        {
            if (!X86Base.IsSupported) return false;
            (int _, int ebx7, int _, int _) = X86Base.CpuId(7, 0);
            (int _, int _, int ecx1, int _) = X86Base.CpuId(1, 0);
            return (ebx7 & (1 << 5)) != 0 && (ecx1 & (1 << 12)) != 0;
        }
    }

    /// <summary>Why <see cref="Best"/> is what it is, in one sentence, naming what would make a wider width run
    /// where the processor has one this process does not use (NativeAOT's compile-time instruction set, the JIT's
    /// Vector512 heuristic, a DOTNET_Enable* switch).</summary>
    public static string Reason
    {
        get
        {
            Isa best = Best;
            bool cpu512 = CpuHasAvx512, cpu256 = CpuHasAvx2Fma;
            if (IsNativeAot)
            {
                if (best != Isa.Vector512 && cpu512)
                    return $"NativeAOT binary compiled for an instruction set below this CPU's AVX-512, so {best} runs; publish with " +
                           "-p:KernelGenAotInstructionSet=native (or x86-64-v4) for Vector512 (docs/aot.md).";
                if (best == Isa.Vector128 && cpu256)
                    return "NativeAOT binary compiled for the x64 baseline (no AVX2), so Vector128 runs; publish with " +
                           "-p:KernelGenAotInstructionSet=x86-64-v3 (the package's default) or native (docs/aot.md).";
                return $"NativeAOT binary: {best} is the widest width its instruction set and this CPU share.";
            }
            if (best != Isa.Vector512 && cpu512)
                return Vector256.IsHardwareAccelerated
                    ? "This CPU has AVX-512 but the JIT keeps Vector512 unaccelerated (its default on this CPU model, or " +
                      "DOTNET_EnableAVX512=0 / DOTNET_PreferredVectorBitWidth); DOTNET_PreferredVectorBitWidth=512 enables it."
                    : $"This CPU has AVX-512 but vector instructions are switched off (DOTNET_Enable* settings), so {best} runs.";
            if (best != Isa.Vector256 && best != Isa.Vector512 && cpu256)
                return $"This CPU has AVX2 and FMA but they are switched off (DOTNET_Enable* settings), so {best} runs.";
            return $"{best} is the widest width this CPU accelerates.";
        }
    }
}
