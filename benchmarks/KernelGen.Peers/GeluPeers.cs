using System;
using BenchmarkDotNet.Attributes;
using KernelGen;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KernelGen.Peers;

/// <summary>784→256 GELU→128 SiLU→10 (Adam): the network whose GELU and SiLU KernelGen fuses into the dense epilogue (f and f′
/// from one evaluation, f′ kept for the backward) — the peers run them as separate operators.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [Activation(Act.GELU)]
[Dense(128, Init = Init.HeNormal)] [Activation(Act.SiLU)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class GeluPeerMlp;

/// <summary>
/// <see cref="GeluPeerMlp"/> in TorchSharp (libtorch 2.10): Linear 784→256, GELU (exact, erf), Linear 256→128, SiLU, Linear
/// 128→10; Adam (η 1e-3, β 0.9/0.999, ε 1e-8, as KernelGen's defaults). Weights and biases copied from a KernelGen network.
/// </summary>
public sealed class TorchGeluMlp : ITorchTwin
{
    private readonly Linear _fc1, _fc2, _fc3;
    private readonly Sequential _net;
    private readonly optim.Optimizer _optimizer;

    public TorchGeluMlp(INetwork source)
    {
        NetworkInfo info = source.Info;
        _fc1 = nn.Linear(784, 256);
        _fc2 = nn.Linear(256, 128);
        _fc3 = nn.Linear(128, 10);
        _net = nn.Sequential(("fc1", _fc1), ("gelu1", nn.GELU()), ("fc2", _fc2), ("silu2", nn.SiLU()), ("fc3", _fc3));
        ReadOnlySpan<float> p = source.Parameters;
        using (no_grad())
        {
            Copy(_fc1.weight!, p, info.Layers[0].WeightOffset, 256, 784);
            Copy(_fc1.bias!, p, info.Layers[0].BiasOffset, 256);
            Copy(_fc2.weight!, p, info.Layers[2].WeightOffset, 128, 256);
            Copy(_fc2.bias!, p, info.Layers[2].BiasOffset, 128);
            Copy(_fc3.weight!, p, info.Layers[4].WeightOffset, 10, 128);
            Copy(_fc3.bias!, p, info.Layers[4].BiasOffset, 10);
        }
        _optimizer = optim.Adam(_net.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8);
    }

    private static void Copy(Tensor target, ReadOnlySpan<float> from, int offset, params long[] shape)
    {
        int n = 1;
        foreach (long d in shape) n *= (int)d;
        using Tensor t = tensor(from.Slice(offset, n).ToArray(), shape);
        target.copy_(t);
    }

    /// <summary>Inference: eval mode, no autograd, softmax probabilities into <paramref name="outputs"/>.</summary>
    public void Predict(Tensor inputs, float[] outputs)
    {
        using var scope = NewDisposeScope();
        _net.eval();
        using (no_grad())
        {
            Tensor probabilities = nn.functional.softmax(_net.forward(inputs), 1);
            probabilities.data<float>().CopyTo(outputs);
        }
    }

    /// <summary>One training step: zero_grad, forward, cross-entropy, backward, Adam step; returns the loss.</summary>
    public float TrainStep(Tensor inputs, Tensor labels)
    {
        using var scope = NewDisposeScope();
        _net.train();
        _optimizer.zero_grad();
        Tensor loss = nn.functional.cross_entropy(_net.forward(inputs), labels);
        loss.backward();
        _optimizer.step();
        return loss.item<float>();
    }

    public void Dispose() => _net.Dispose();
}

/// <summary>A KernelGen network's twin in TorchSharp: Predict (softmax probabilities) and one training step.</summary>
public interface ITorchTwin : IDisposable
{
    void Predict(Tensor inputs, float[] outputs);
    float TrainStep(Tensor inputs, Tensor labels);
}

/// <summary>Shared set-up of the GELU benchmarks: a <see cref="GeluPeerMlp"/>, its TorchSharp twin and random rows.</summary>
public abstract class GeluPeerBase
{
    protected GeluPeerMlp Net = null!;
    protected TorchGeluMlp Torch = null!;
    protected float[] Inputs = null!, Outputs = null!;
    protected int[] Labels = null!;
    protected Tensor TorchInputs = null!, TorchLabels = null!;

    protected void SetUp(int rows)
    {
        set_num_threads(1);
        Net = new GeluPeerMlp(seed: 1, threads: 1);
        Torch = new TorchGeluMlp(Net);
        var rng = new Random(3);
        Inputs = new float[rows * GeluPeerMlp.InputSize];
        Outputs = new float[rows * GeluPeerMlp.OutputSize];
        Labels = new int[rows];
        for (int i = 0; i < Inputs.Length; i++) Inputs[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < Labels.Length; i++) Labels[i] = rng.Next(10);
        TorchInputs = tensor(Inputs, new long[] { rows, GeluPeerMlp.InputSize });
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

/// <summary>Inference of <see cref="GeluPeerMlp"/> (softmax probabilities): KernelGen vs ONNX Runtime (KernelGen's export: GELU as
/// the exact erf form, SiLU as x·σ(x)) and TorchSharp.</summary>
[Config(typeof(PeerConfig))]
public class GeluPredictPeers : GeluPeerBase
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

/// <summary>One training step of <see cref="GeluPeerMlp"/> (forward, loss, backward, Adam): KernelGen vs TorchSharp.</summary>
[Config(typeof(PeerConfig))]
public class GeluTrainStepPeers : GeluPeerBase
{
    [Params(32, 128, 256)] public int Rows;

    [GlobalSetup] public void Setup() => SetUp(Rows);
    [GlobalCleanup] public void Cleanup() => TearDown();

    [Benchmark(Baseline = true)] public float KernelGen() => Net.TrainStep(Inputs, Labels);
    [Benchmark] public float TorchSharp() => Torch.TrainStep(TorchInputs, TorchLabels);
}
