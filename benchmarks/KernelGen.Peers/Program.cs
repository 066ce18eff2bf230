using System;
using BenchmarkDotNet.Running;
using KernelGen.Benchmarks;
using KernelGen.Cli.Networks;
using static TorchSharp.torch;

namespace KernelGen.Peers;

public static class Program
{
    /// <summary><c>check</c>: the peers compute what KernelGen computes (exit 1 if not); <c>time [--quick]</c>: the peers'
    /// rows of benchmarks/compare/compare.sh (<see cref="TimeCommand"/>); otherwise BenchmarkDotNet.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "check") return Check();
        if (args.Length > 0 && args[0] == "time") return TimeCommand.Run(args);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static int Check()
    {
        set_num_threads(1);
        var rng = new Random(11);
        using var net = new FashionMlp(seed: 5, threads: 1);
        float[] x = new float[FashionMlp.BatchSize * FashionMlp.InputSize];
        int[] y = new int[FashionMlp.BatchSize];
        for (int step = 0; step < 20; step++) // non-trivial running statistics and weights
        {
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            for (int i = 0; i < y.Length; i++) y[i] = rng.Next(10);
            net.TrainStep(x, y);
        }
        var (torch, ort) = Differences(net, new TorchFashionMlp(net), rng);
        Console.WriteLine($"TorchSharp {TorchSharp.torch.__version__} vs KernelGen Predict, {Rows} rows: max |Δp| = {torch:E2}");
        Console.WriteLine($"ONNX Runtime {Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString()} (KernelGen's export) vs KernelGen Predict, {Rows} rows: max |Δp| = {ort:E2}");
        // The GELU/SiLU network: GeluPredictPeers, GeluTrainStepPeers and the gelu.* rows time the same function.
        using var gelu = new GeluMlp(seed: 6, threads: 1);
        var (geluTorch, geluOrt) = Differences(gelu, new TorchGeluMlp(gelu), rng);
        Console.WriteLine($"GeluMlp: TorchSharp vs KernelGen Predict, {Rows} rows: max |Δp| = {geluTorch:E2}; ONNX Runtime: {geluOrt:E2}");
        bool ok = Math.Max(Math.Max(torch, ort), Math.Max(geluTorch, geluOrt)) < 1e-5;
        Console.WriteLine(ok ? "peers check: OK" : "peers check: FAIL (the peer does not compute the same function)");
        return ok ? 0 : 1;
    }

    private const int Rows = 64;

    /// <summary>The largest |Δp| of the TorchSharp twin (disposed here) and of ONNX Runtime on KernelGen's export against
    /// KernelGen's Predict, on <see cref="Rows"/> random rows (NaN counts as infinitely far).</summary>
    private static (double Torch, double Ort) Differences(IClassifier net, TorchTwin twin, Random rng)
    {
        int inputs = net.Info.Inputs, outputs = net.Info.Outputs;
        float[] input = new float[Rows * inputs];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 2 - 1);
        float[] kernelgen = new float[Rows * outputs], torchOut = new float[kernelgen.Length], ortOut = new float[kernelgen.Length];
        net.Predict(input, kernelgen);
        using (twin)
        using (Tensor t = tensor(input, new long[] { Rows, inputs }))
            twin.Predict(t, torchOut);
        using (var ort = new OrtNetwork(net, input, ortOut, Rows)) ort.Predict();
        double worst = 0, worstOrt = 0;
        for (int i = 0; i < kernelgen.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(kernelgen[i] - torchOut[i]));
            worstOrt = Math.Max(worstOrt, Math.Abs(kernelgen[i] - ortOut[i]));
        }
        return (double.IsNaN(worst) ? double.PositiveInfinity : worst, double.IsNaN(worstOrt) ? double.PositiveInfinity : worstOrt);
    }
}
