using System;
using System.Linq;
using System.Globalization;
using KernelGen.Cli.Networks;
using KernelGen.Data;
using KernelGen.Runtime;
using KernelGen.Training;

namespace KernelGen.Cli;

/// <summary>The <c>kernelgen</c> command-line tool.</summary>
public static class Program
{
    private const string Usage = """
        kernelgen — train KernelGen's built-in networks and inspect the build.

        Usage:
          kernelgen train [--epochs N] [--seed S] [--isa auto|scalar|vector128|vector256|vector512]
              Train DigitsNet (64 → 100 ReLU → 10, SGD) on the bundled 8×8 digits, 4:1 train/validation split.
          kernelgen info
              Print the kernel width this CPU runs.
          kernelgen selftest [--all | --isa WIDTH]
              Run every width the CPU accelerates (--all: every width; --isa: that one) against the double oracle.
          kernelgen bench [--isa WIDTH] [--batch N]...
              Time every GEMM kernel of the reference MLP 784→256→128→10 (µs, GFLOP/s, % of the measured FMA peak).
        """;

    /// <summary>Entry point; returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.WriteLine(Usage);
                return args.Length == 0 ? 1 : 0;
            }
            return args[0] switch
            {
                "train" => Train(args),
                "info" => Info(),
                "selftest" => SelfTest.Run(all: args.Contains("--all"), only: OnlyIsa(args)),
                "bench" => Bench.Run(OnlyIsa(args) ?? Isa.Auto, Batches(args)),
                _ => Fail($"unknown command '{args[0]}'."),
            };
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
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
        foreach (Isa isa in new[] { Isa.Vector512, Isa.Vector256, Isa.Vector128, Isa.Scalar })
            Console.WriteLine($"  {isa,-10} {(IsaSupport.IsAccelerated(isa) ? "hardware" : "software (runs, slowly)")}");
        Console.WriteLine($"Processor count:      {Environment.ProcessorCount}");
        Console.WriteLine($"Runtime:              {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription} {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}");
        return 0;
    }

    private static int Train(string[] args)
    {
        int epochs = 30, seed = 7;
        Isa isa = Isa.Auto;
        for (int i = 1; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"option '{args[i]}' needs a value.");
            switch (args[i])
            {
                case "--epochs": epochs = PositiveInt(args[i], value); i++; break;
                case "--seed": seed = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--isa":
                    if (!Enum.TryParse(value, ignoreCase: true, out isa) || !Enum.IsDefined(isa))
                        throw new ArgumentException($"--isa '{value}' is not one of auto, scalar, vector128, vector256, vector512.");
                    i++;
                    break;
                default: throw new ArgumentException($"unknown option '{args[i]}'.");
            }
        }

        Dataset all = Digits.Load();
        (Dataset train, Dataset validation) = all.Split(0.2, seed);
        using var net = new DigitsNet(seed: seed, isa: isa);
        Console.WriteLine($"DigitsNet · {DigitsNet.InputSize} → 100 ReLU → {DigitsNet.OutputSize} · {DigitsNet.ParameterCount:N0} parameters · batch {DigitsNet.BatchSize} · kernels {net.Isa}");
        Console.WriteLine($"digits: {train.Count} training rows, {validation.Count} validation rows (seed {seed})");
        Console.WriteLine();
        Console.WriteLine("epoch  train loss  train acc  valid loss  valid acc    ms");
        var trainer = new Trainer<DigitsNet>(net, train, seed);
        EpochMetrics last = default;
        for (int e = 0; e < epochs; e++)
        {
            last = trainer.RunEpoch(validation);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{last.Epoch,5}  {last.TrainLoss,10:F4}  {last.TrainAccuracy,9:P1}  {last.ValidationLoss,10:F4}  {last.ValidationAccuracy,9:P1}  {last.Seconds * 1000,5:F1}"));
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation accuracy after {epochs} epochs: {last.ValidationAccuracy:P2}"));
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

    private static int PositiveInt(string option, string value)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new ArgumentException($"{option} '{value}' is not a positive integer.");
        return n;
    }
}
