using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using KernelGen.Cli.Networks;
using static TorchSharp.torch;

namespace KernelGen.Peers;

/// <summary>In-process (the TorchSharp native library in this build's output is the patched one; a rebuilt child
/// project would copy the unpatched one again), one thread per engine, memory diagnoser on.</summary>
public sealed class PeerConfig : ManualConfig
{
    public PeerConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithId("InProcess"));
        AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default);
    }
}

/// <summary>Shared set-up: a FashionMlp (or FashionMlp256 for 256 rows) trained 20 steps on random rows so batch norm's
/// running statistics are not the identity, its twin in TorchSharp, and random inputs.</summary>
public abstract class PeerBase
{
    protected IClassifier Net = null!;
    protected TorchFashionMlp Torch = null!;
    protected float[] Inputs = null!, Outputs = null!;
    protected int[] Labels = null!;
    protected Tensor TorchInputs = null!, TorchLabels = null!;

    protected void SetUp(int rows)
    {
        set_num_threads(1);
        Net = rows > FashionMlp.BatchSize ? new FashionMlp256(seed: 1, threads: 1) : new FashionMlp(seed: 1, threads: 1);
        int batch = rows > FashionMlp.BatchSize ? FashionMlp256.BatchSize : FashionMlp.BatchSize;
        var rng = new Random(3);
        float[] x = new float[batch * FashionMlp.InputSize];
        int[] y = new int[batch];
        for (int step = 0; step < 20; step++)
        {
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            for (int i = 0; i < y.Length; i++) y[i] = rng.Next(10);
            Net.TrainStep(x, y);
        }
        Torch = new TorchFashionMlp(Net);
        Inputs = new float[rows * FashionMlp.InputSize];
        Outputs = new float[rows * FashionMlp.OutputSize];
        Labels = new int[rows];
        for (int i = 0; i < Inputs.Length; i++) Inputs[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < Labels.Length; i++) Labels[i] = rng.Next(10);
        TorchInputs = tensor(Inputs, new long[] { rows, FashionMlp.InputSize });
        TorchLabels = tensor(Array.ConvertAll(Labels, l => (long)l), new long[] { rows });
    }

    protected void TearDown()
    {
        TorchInputs.Dispose();
        TorchLabels.Dispose();
        Torch.Dispose();
        Net.Dispose();
    }
}

/// <summary>Inference of FashionMlp (batch norm folded / eval mode, no dropout, softmax): KernelGen vs the peers.</summary>
[Config(typeof(PeerConfig))]
public class PredictPeers : PeerBase
{
    private OrtNetwork _ort = null!;
    private float[] _ortOutputs = null!;

    [Params(1, 32, 128, 256)] public int Rows;

    [GlobalSetup]
    public void Setup()
    {
        SetUp(Rows);
        _ortOutputs = new float[Outputs.Length];
        _ort = new OrtNetwork(Net, Inputs, _ortOutputs, Rows);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ort.Dispose();
        TearDown();
    }

    [Benchmark(Baseline = true)] public void KernelGen() => Net.Predict(Inputs, Outputs);
    [Benchmark] public void OnnxRuntime() => _ort.Predict();
    [Benchmark] public void TorchSharp() => Torch.Predict(TorchInputs, Outputs);
}

/// <summary>One training step of FashionMlp (forward, loss, backward, AdamW): KernelGen vs TorchSharp.</summary>
[Config(typeof(PeerConfig))]
public class TrainStepPeers : PeerBase
{
    [Params(32, 128, 256)] public int Rows;

    [GlobalSetup] public void Setup() => SetUp(Rows);
    [GlobalCleanup] public void Cleanup() => TearDown();

    [Benchmark(Baseline = true)] public float KernelGen() => Net.TrainStep(Inputs, Labels);
    [Benchmark] public float TorchSharp() => Torch.TrainStep(TorchInputs, TorchLabels);
}
