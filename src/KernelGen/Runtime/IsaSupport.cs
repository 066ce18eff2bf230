using System;
using System.Runtime.Intrinsics;

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
}
