using System;
using KernelGen.Distributed;

namespace KernelGen.Distributed.Bench;

public static class Program
{
    /// <summary>`mpirun -np N dotnet KernelGen.Distributed.Bench.dll [REPETITIONS]`: rank 0 prints the figures.</summary>
    public static int Main(string[] args)
    {
        Mpi mpi = Mpi.World;
        try
        {
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
