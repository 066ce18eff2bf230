using System;
using BenchmarkDotNet.Attributes;
using KernelGen;
using KernelGen.Benchmarks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KernelGen.Peers;

/// <summary>
/// <see cref="GeluMlp"/> in TorchSharp (libtorch 2.10): Linear 784→256, GELU (exact, erf), Linear 256→128, SiLU, Linear
/// 128→10; Adam (η 1e-3, β 0.9/0.999, ε 1e-8, as KernelGen's defaults). Weights and biases copied from a KernelGen network.
/// </summary>
public sealed class TorchGeluMlp : TorchTwin
{
    private readonly Linear _fc1, _fc2, _fc3;

    public TorchGeluMlp(INetwork source)
    {
        NetworkInfo info = source.Info;
        _fc1 = nn.Linear(784, 256);
        _fc2 = nn.Linear(256, 128);
        _fc3 = nn.Linear(128, 10);
        var net = nn.Sequential(("fc1", _fc1), ("gelu1", nn.GELU()), ("fc2", _fc2), ("silu2", nn.SiLU()), ("fc3", _fc3));
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
        Build(net, n => optim.Adam(n.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8));
    }
}

/// <summary>Inference of <see cref="GeluMlp"/> (softmax probabilities): KernelGen vs ONNX Runtime (KernelGen's export: GELU as
/// the exact erf form, SiLU as x·σ(x)) and TorchSharp.</summary>
[Config(typeof(PeerConfig))]
public class GeluPredictPeers : PredictPeersBase
{
    protected override IClassifier CreateNetwork(int rows) => new GeluMlp(seed: 1, threads: 1);
    protected override TorchTwin CreateTwin(IClassifier net) => new TorchGeluMlp(net);
}

/// <summary>One training step of <see cref="GeluMlp"/> (forward, loss, backward, Adam): KernelGen vs TorchSharp.</summary>
[Config(typeof(PeerConfig))]
public class GeluTrainStepPeers : TrainStepPeersBase
{
    protected override IClassifier CreateNetwork(int rows) => new GeluMlp(seed: 1, threads: 1);
    protected override TorchTwin CreateTwin(IClassifier net) => new TorchGeluMlp(net);
}
