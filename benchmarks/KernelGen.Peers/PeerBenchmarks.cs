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

/// <summary>Shared set-up: a KernelGen network for the batch size (<see cref="CreateNetwork"/>), its TorchSharp twin
/// (<see cref="CreateTwin"/>), and random inputs and labels.</summary>
public abstract class PeerBase
{
    protected IClassifier Net = null!;
    protected TorchTwin Torch = null!;
    protected float[] Inputs = null!, Outputs = null!;
    protected int[] Labels = null!;
    protected Tensor TorchInputs = null!, TorchLabels = null!;

    protected abstract IClassifier CreateNetwork(int rows);
    protected abstract TorchTwin CreateTwin(IClassifier net);

    protected void SetUp(int rows)
    {
        set_num_threads(1);
        Net = CreateNetwork(rows);
        Torch = CreateTwin(Net);
        int inputs = Net.Info.Inputs, outputs = Net.Info.Outputs;
        var rng = new Random(3);
        Inputs = new float[rows * inputs];
        Outputs = new float[rows * outputs];
        Labels = new int[rows];
        for (int i = 0; i < Inputs.Length; i++) Inputs[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < Labels.Length; i++) Labels[i] = rng.Next(outputs);
        TorchInputs = tensor(Inputs, new long[] { rows, inputs });
        TorchLabels = tensor(Array.ConvertAll(Labels, l => (long)l), new long[] { rows });
    }

    protected void TearDown()
    {
        TorchInputs.Dispose();
        TorchLabels.Dispose();
        Torch.Dispose();
        Net.Dispose();
    }

    /// <summary>A FashionMlp (FashionMlp256 for more than 128 rows) trained 20 steps on random rows, so batch norm's running
    /// statistics are not the identity.</summary>
    protected static IClassifier TrainedFashionMlp(int rows)
    {
        IClassifier net = rows > FashionMlp.BatchSize ? new FashionMlp256(seed: 1, threads: 1) : new FashionMlp(seed: 1, threads: 1);
        int batch = net.Info.BatchSize;
        var rng = new Random(2);
        float[] x = new float[batch * FashionMlp.InputSize];
        int[] y = new int[batch];
        for (int step = 0; step < 20; step++)
        {
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            for (int i = 0; i < y.Length; i++) y[i] = rng.Next(10);
            net.TrainStep(x, y);
        }
        return net;
    }
}

/// <summary>Inference (batch norm folded / eval mode, no dropout, softmax): KernelGen vs ONNX Runtime (KernelGen's export) and TorchSharp.</summary>
public abstract class PredictPeersBase : PeerBase
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

/// <summary>One training step (forward, loss, backward, the optimizer): KernelGen vs TorchSharp.</summary>
public abstract class TrainStepPeersBase : PeerBase
{
    [Params(32, 128, 256)] public int Rows;

    [GlobalSetup] public void Setup() => SetUp(Rows);
    [GlobalCleanup] public void Cleanup() => TearDown();

    [Benchmark(Baseline = true)] public float KernelGen() => Net.TrainStep(Inputs, Labels);
    [Benchmark] public float TorchSharp() => Torch.TrainStep(TorchInputs, TorchLabels);
}

/// <summary>FashionMlp's inference: KernelGen vs the peers.</summary>
[Config(typeof(PeerConfig))]
public class PredictPeers : PredictPeersBase
{
    protected override IClassifier CreateNetwork(int rows) => TrainedFashionMlp(rows);
    protected override TorchTwin CreateTwin(IClassifier net) => new TorchFashionMlp(net);
}

/// <summary>FashionMlp's training step (AdamW): KernelGen vs TorchSharp.</summary>
[Config(typeof(PeerConfig))]
public class TrainStepPeers : TrainStepPeersBase
{
    protected override IClassifier CreateNetwork(int rows) => TrainedFashionMlp(rows);
    protected override TorchTwin CreateTwin(IClassifier net) => new TorchFashionMlp(net);
}
