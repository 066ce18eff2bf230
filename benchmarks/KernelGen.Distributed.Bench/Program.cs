using System;
using KernelGen.Distributed;

namespace KernelGen.Distributed.Bench;

public static class Program
{
    /// <summary>`mpirun -np N dotnet KernelGen.Distributed.Bench.dll [REPETITIONS]`: rank 0 prints the figures;
    /// `… overlap [REPETITIONS]`: the figures that decide whether overlapping the allreduce with the backward pays.</summary>
    public static int Main(string[] args)
    {
        Mpi mpi = Mpi.World;
        try
        {
            if (args.Length > 0 && args[0] == "overlap")
                Overlap.Run(mpi, args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300);
            else
                Bench.Run(mpi, args);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"rank {mpi.Rank}: {e}");
            mpi.Abort(1);
        }
        mpi.Dispose();
        return 0;
    }
}
