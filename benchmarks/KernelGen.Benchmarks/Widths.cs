using System.Collections.Generic;
using System.Linq;
using KernelGen.Runtime;

namespace KernelGen.Benchmarks;

/// <summary>The widths a suite runs: those this CPU executes in hardware. A width it lacks (Vector512 without AVX-512)
/// is left out of the run instead of failing its setup; the kernels of every width are checked by the tests, here
/// only speed is measured.</summary>
public static class Widths
{
    private static readonly Isa[] All = { Isa.Scalar, Isa.Vector128, Isa.Vector256, Isa.Vector512 };

    /// <summary>Scalar and every vector width the CPU accelerates.</summary>
    public static IEnumerable<Isa> Accelerated => All.Where(isa => isa == Isa.Scalar || IsaSupport.IsAccelerated(isa));

    /// <summary>Vector256 and Vector512 where accelerated.</summary>
    public static IEnumerable<Isa> Vector256Up => Accelerated.Where(isa => isa is Isa.Vector256 or Isa.Vector512);
}
