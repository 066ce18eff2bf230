using System;
using System.IO;
using System.Linq;
using System.Globalization;
using KernelGen.Cli.Networks;
using KernelGen.Data;
using KernelGen.Runtime;
using KernelGen.Training;
using Spectre.Console;

namespace KernelGen.Cli;

/// <summary>The <c>kernelgen</c> command-line tool.</summary>
public static class Program
{
    private const string Usage = """
        kernelgen — train KernelGen's built-in networks and inspect the build.

        Usage:
          kernelgen train [--dataset digits|fashion-mnist] [--data DIR] [--epochs N] [--seed S] [--json]
                          [--recipe standard|tuned] [--patience N] [--plot FILE|none] [--save FILE.safetensors]
                          [--isa auto|scalar|vector128|vector256|vector512] [--threads N] [--rows N] [--batch N]
                          [--distributed [--sync-batchnorm]]
              digits (default): DigitsNet (64 → 100 ReLU → 10, SGD) on the bundled 8×8 digits, 4:1 train/validation split, 30 epochs.
              fashion-mnist: FashionMlp on Fashion-MNIST from --data DIR or /usr/share/datasets/fashion-mnist
              (apt-get install -y dataset-fashion-mnist); 4:1 train/validation split of the 60,000 training images,
              standardised with the training part's statistics, 10 epochs. --recipe tuned: cosine learning-rate decay
              over 30 epochs, trained on all 60,000 images (unless --validation is given). --validation F (0.2), --preprocess
              KIND, --flip P, --shift PX, --noise SD (augmentation of the raw images), --cosine on|off override the recipe.
              Prints a table, writes the curves (DATASET-curves.svg and .png), and with
              --json ends with one JSON line: {"testAccuracy": …, "epochs": [{"epoch": 1, "trainLoss": …, …}, …]}.
              --batch N: rows per step (default the network's BatchSize: DigitsNet 32, FashionMlp 128).
              --distributed: data-parallel over MPI, launched as `mpirun -np N kernelgen train … --distributed` (needs
              Open MPI: apt-get install openmpi-bin; exit code 6 without it). Every rank steps --batch rows of its own
              shard of each epoch (a step covers N × batch rows); metrics are combined over ranks; rank 0 alone prints
              and writes --save and --plot files. --sync-batchnorm (with --distributed): batch norm uses the statistics of
              all N × batch rows of a step (summed over the ranks) instead of each rank's own. docs/distributed.md.
          kernelgen info
              Print the kernel width this CPU runs.
          kernelgen selftest [--all | --isa WIDTH]
              Run every width the CPU accelerates (--all: every width; --isa: that one) against the double oracle.
          kernelgen bench [--isa WIDTH] [--batch N]...
              Time every GEMM kernel of the reference MLP 784→256→128→10 (µs, GFLOP/s, % of the measured FMA peak).
          kernelgen compare [--quick] [--json]
              FashionMlp's TrainStep, Predict and GEMMs at batch 1, 32, 128, 256, one line per figure (benchmarks/compare/compare.sh).
          kernelgen import model.onnx --class Name [--namespace N] [--batch B] [--out DIR]
              Write Name.cs (the attribute declaration, each attribute commented with its ONNX node) and Name.safetensors
              (load with Checkpoint.LoadWeights). --batch is required when the model's batch dimension is dynamic.
          kernelgen export CHECKPOINT --out model.onnx
              Write a checkpoint of a built-in network as ONNX (opset 17, inference mode, dynamic batch).
        """;

    /// <summary>Entry point; returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        // Redirected output (a log, a pipe, CI) gets plain text: no colour or cursor codes whatever TERM says.
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Capabilities.Ansi = false;
            AnsiConsole.Profile.Capabilities.Interactive = false;
        }
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.WriteLine(Usage);
                return args.Length == 0 ? 1 : 0;
            }
            return args[0] switch
            {
                "train" => TrainCommand.Run(args),
                "info" => Info(),
                "selftest" => SelfTest.Run(all: args.Contains("--all"), only: OnlyIsa(args)),
                "bench" => Bench.Run(OnlyIsa(args) ?? Isa.Auto, Batches(args)),
                "compare" => CompareCommand.Run(args),
                "import" => OnnxCommands.Import(args),
                "export" => OnnxCommands.Export(args),
                _ => Fail($"unknown command '{args[0]}'."),
            };
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // A file that cannot be read or written: one line naming it, no stack trace.
            Console.Error.WriteLine("kernelgen: " + e.Message);
            return 3;
        }
    }

    private static int[] Batches(string[] args)
    {
        var batches = new System.Collections.Generic.List<int>();
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] != "--batch") continue;
            if (i + 1 >= args.Length) throw new ArgumentException("option '--batch' needs a value.");
            int b = PositiveInt("--batch", args[i + 1]);
            if (b > ReferenceMlp.BatchSize) throw new ArgumentException($"--batch {b} is more than the reference MLP's BatchSize {ReferenceMlp.BatchSize}.");
            batches.Add(b);
        }
        return batches.Count > 0 ? batches.ToArray() : new[] { 1, 32, 128, 256 };
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("kernelgen: " + message);
        Console.Error.WriteLine("Run 'kernelgen --help' for usage.");
        return 2;
    }

    private static int Info()
    {
        Console.WriteLine($"Isa.Auto runs:        {IsaSupport.Best}");
        Console.WriteLine($"Why:                  {IsaSupport.Reason}");
        foreach (Isa isa in new[] { Isa.Vector512, Isa.Vector256, Isa.Vector128, Isa.Scalar })
            Console.WriteLine($"  {isa,-10} {(IsaSupport.IsAccelerated(isa) ? "hardware" : "software (runs, slowly)")}");
        Console.WriteLine($"Processor count:      {Environment.ProcessorCount}");
        Console.WriteLine($"Runtime:              {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}{(IsaSupport.IsNativeAot ? " (NativeAOT)" : " (JIT)")}");
        return 0;
    }

    private static Isa? OnlyIsa(string[] args)
    {
        int at = Array.IndexOf(args, "--isa");
        if (at < 0) return null;
        if (at + 1 >= args.Length || !Enum.TryParse(args[at + 1], ignoreCase: true, out Isa isa) || !Enum.IsDefined(isa) || isa == Isa.Auto)
            throw new ArgumentException("--isa needs one of scalar, vector128, vector256, vector512.");
        return isa;
    }

    internal static int PositiveInt(string option, string value)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new ArgumentException($"{option} '{value}' is not a positive integer.");
        return n;
    }
}
