using System;
using System.IO;
using KernelGen.Cli.Networks;
using KernelGen.Data;
using KernelGen.Distributed;
using KernelGen.Training;
using Spectre.Console;

namespace KernelGen.Cli;

/// <summary><c>kernelgen train --distributed</c>: data-parallel training over MPI (<c>mpirun -np N kernelgen train … --distributed</c>).</summary>
public static partial class TrainCommand
{
    /// <summary>Exit code when --distributed is asked for and Open MPI cannot be loaded.</summary>
    private const int NoMpi = 6;

    /// <summary>Exit code of a rank that ends the job with MPI_Abort for a failure that is not an argument or file error.</summary>
    private const int Aborted = 70;

    /// <summary>
    /// Initialises MPI, runs <paramref name="train"/> on every rank and finalises. Rank 0 alone prints, checks and writes
    /// files; the other ranks' standard output goes nowhere. Whatever fails on any rank — an exception, or an error exit
    /// before or after the collective training (a data set missing on one machine) — is written to standard error as
    /// "rank r of n: …" and ends the whole job with MPI_Abort and that exit code, so that no rank waits forever.
    /// </summary>
    private static int RunDistributed(Options o, Func<Options, int> train)
    {
        Mpi mpi;
        try
        {
            mpi = Mpi.World;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            Console.Error.WriteLine($"kernelgen: --distributed needs Open MPI 4 or later: {e.Message}");
            return NoMpi;
        }
        o.Mpi = mpi;
        if (mpi.Rank != 0)
        {
            Console.SetOut(TextWriter.Null);
            AnsiConsole.Profile.Capabilities.Interactive = false;
        }
        int code;
        try
        {
            code = train(o);
        }
        catch (Exception e)
        {
            code = e switch
            {
                ArgumentException => 2,
                IOException or UnauthorizedAccessException or InvalidDataException => 3,
                _ => Aborted,
            };
            Console.Error.WriteLine($"kernelgen: rank {mpi.Rank} of {mpi.Size}: {e.Message}" + (code == Aborted ? $" ({e.GetType().Name})" : string.Empty));
        }
        // 0 and 4 (diverged, or a validation metric that is not finite) are decided collectively: every rank has the same
        // code and has left every collective. Any other code is this rank's alone, and the other ranks may be waiting in
        // a collective: end the job.
        if (code is not (0 or 4))
        {
            Console.Error.WriteLine($"kernelgen: rank {mpi.Rank} of {mpi.Size} ends the MPI job (exit code {code}).");
            Console.Error.Flush();
            mpi.Abort(code);
        }
        mpi.Dispose();
        return code;
    }

    /// <summary>The seed of this rank's network: the given seed alone, distinct per rank when distributed (dropout masks).</summary>
    private static int NetworkSeed(Options o) => o.Mpi is null ? o.Seed : DistributedTrainer<DigitsNet>.RankSeed(o.Seed, o.Mpi.Rank);

    /// <summary>Joins <paramref name="trainer"/> to the MPI job when distributed (null otherwise): rank 0's network state is
    /// broadcast, every epoch is sharded, metrics are allreduced.</summary>
    private static IDisposable? JoinGroup<TNet>(Options o, Trainer<TNet> trainer, TNet net, int trainingRows) where TNet : IClassifier
    {
        if (o.Mpi is not Mpi mpi) return null;
        var group = new DistributedTrainer<TNet>(net, mpi, o.SyncBatchNorm);
        trainer.Group = group;
        int shard = trainingRows / mpi.Size, batchSize = trainer.BatchSize;
        string batchNorm = net is not KernelGen.Training.ISynchronisedBatchNorm
            ? (o.SyncBatchNorm ? $"; {typeof(TNet).Name} has no batch norm, --sync-batchnorm changes nothing" : string.Empty)
            : group.SynchronisedBatchNorm
                ? $"; batch norm synchronised: statistics over all {batchSize * mpi.Size} rows of a step"
                : "; batch norm per rank (its own rows; running statistics averaged after each epoch)";
        Info(o, $"distributed: {mpi.Size} rank(s) over MPI ({mpi.Library}); each step {batchSize} rows per rank, {batchSize * mpi.Size} in all; " +
                $"each epoch the training rows are reshuffled from seed {o.Seed} and split into {mpi.Size} disjoint shards of {shard} rows " +
                $"({trainingRows - shard * mpi.Size} sit the epoch out); validation metrics are combined over ranks; rank 0 prints and writes files{batchNorm}");
        return group;
    }

    /// <summary>The evaluation of every row: split over the ranks and combined when distributed.</summary>
    private static Evaluation EvaluateAll(Trainer<FashionMlp> trainer, FashionMlp net, Dataset rows)
        => trainer.Group is ITrainingGroup g ? g.Evaluate(rows) : net.Evaluate(rows.Features, rows.Labels);

    /// <summary>Rank 0, or not distributed: the process that prints and writes files.</summary>
    private static bool Writes(Options o) => o.Mpi is null || o.Mpi.Rank == 0;
}
