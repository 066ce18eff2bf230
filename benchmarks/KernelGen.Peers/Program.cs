using System;
using BenchmarkDotNet.Running;
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
        using var net = new FashionMlp(seed: 5, threads: 1);
        var rng = new Random(11);
        const int rows = 64;
        float[] x = new float[FashionMlp.BatchSize * FashionMlp.InputSize];
        int[] y = new int[FashionMlp.BatchSize];
        for (int step = 0; step < 20; step++) // non-trivial running statistics and weights
        {
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            for (int i = 0; i < y.Length; i++) y[i] = rng.Next(10);
            net.TrainStep(x, y);
        }
        float[] input = new float[rows * FashionMlp.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 2 - 1);
        float[] kernelgen = new float[rows * FashionMlp.OutputSize], torchOut = new float[rows * FashionMlp.OutputSize];
        net.Predict(input, kernelgen);
        using (var torchNet = new TorchFashionMlp(net))
        using (Tensor t = tensor(input, new long[] { rows, FashionMlp.InputSize }))
            torchNet.Predict(t, torchOut);
        float[] ortOut = new float[rows * FashionMlp.OutputSize];
        using (var ort = new OrtNetwork(net, input, ortOut, rows)) ort.Predict();
        double worst = 0, worstOrt = 0;
        for (int i = 0; i < kernelgen.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(kernelgen[i] - torchOut[i]));
            worstOrt = Math.Max(worstOrt, Math.Abs(kernelgen[i] - ortOut[i]));
        }
        Console.WriteLine($"TorchSharp {TorchSharp.torch.__version__} vs KernelGen Predict, {rows} rows: max |Δp| = {worst:E2}");
        Console.WriteLine($"ONNX Runtime {Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString()} (KernelGen's export) vs KernelGen Predict, {rows} rows: max |Δp| = {worstOrt:E2}");
        bool gelu = CheckGelu(rng);
        bool ok = worst < 1e-5 && worstOrt < 1e-5 && gelu;
        Console.WriteLine(ok ? "peers check: OK" : "peers check: FAIL (the peer does not compute the same function)");
        return ok ? 0 : 1;
    }

    /// <summary>The GELU/SiLU network (<see cref="GeluPeerMlp"/>): TorchSharp's twin and ONNX Runtime on KernelGen's export compute
    /// KernelGen's Predict within 1e-5, so GeluPredictPeers and GeluTrainStepPeers time the same function.</summary>
    private static bool CheckGelu(Random rng)
    {
        const int rows = 64;
        using var net = new GeluPeerMlp(seed: 6, threads: 1);
        float[] input = new float[rows * GeluPeerMlp.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 2 - 1);
        float[] kernelgen = new float[rows * GeluPeerMlp.OutputSize], torchOut = new float[kernelgen.Length], ortOut = new float[kernelgen.Length];
        net.Predict(input, kernelgen);
        using (var torchNet = new TorchGeluMlp(net))
        using (Tensor t = tensor(input, new long[] { rows, GeluPeerMlp.InputSize }))
            torchNet.Predict(t, torchOut);
        using (var ort = new OrtNetwork(net, input, ortOut, rows)) ort.Predict();
        double worst = 0, worstOrt = 0;
        for (int i = 0; i < kernelgen.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(kernelgen[i] - torchOut[i]));
            worstOrt = Math.Max(worstOrt, Math.Abs(kernelgen[i] - ortOut[i]));
        }
        Console.WriteLine($"GeluPeerMlp: TorchSharp vs KernelGen Predict, {rows} rows: max |Δp| = {worst:E2}; ONNX Runtime: {worstOrt:E2}");
        return worst < 1e-5 && worstOrt < 1e-5;
    }
}
