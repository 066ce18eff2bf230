using System;
using KernelGen;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KernelGen.Peers;

/// <summary>
/// FashionMlp in TorchSharp (libtorch 2.10), module for module: Linear 784→256, BatchNorm1d, ReLU, Dropout(0.2),
/// Linear 256→128, BatchNorm1d, LeakyReLU(0.01), Dropout(0.2), Linear 128→10; AdamW (η 1e-3, β 0.9/0.999, ε 1e-8,
/// λ 1e-4). Weights, biases, γ, β and running statistics are copied from a KernelGen network, so inference computes
/// the same function (<see cref="Program"/>'s check compares them). Batch-norm momentum: PyTorch's is 1 − KernelGen's.
/// One intra-op thread (set by the caller).
/// </summary>
public sealed class TorchFashionMlp : TorchTwin
{
    private readonly Linear _fc1, _fc2, _fc3;
    private readonly BatchNorm1d _bn1, _bn2;

    public TorchFashionMlp(INetwork source)
    {
        NetworkInfo info = source.Info;
        _fc1 = nn.Linear(784, 256);
        _bn1 = nn.BatchNorm1d(256, eps: 1e-5, momentum: 0.1);
        _fc2 = nn.Linear(256, 128);
        _bn2 = nn.BatchNorm1d(128, eps: 1e-5, momentum: 0.1);
        _fc3 = nn.Linear(128, 10);
        var net = nn.Sequential(("fc1", _fc1), ("bn1", _bn1), ("relu1", nn.ReLU()), ("drop1", nn.Dropout(0.2)),
            ("fc2", _fc2), ("bn2", _bn2), ("lrelu2", nn.LeakyReLU(0.01)), ("drop2", nn.Dropout(0.2)), ("fc3", _fc3));
        ReadOnlySpan<float> p = source.Parameters, stats = source.RunningStatistics;
        using (no_grad())
        {
            Copy(_fc1.weight!, p, info.Layers[0].WeightOffset, 256, 784);
            Copy(_fc1.bias!, p, info.Layers[0].BiasOffset, 256);
            Copy(_bn1.weight!, p, info.Layers[1].WeightOffset, 256);
            Copy(_bn1.bias!, p, info.Layers[1].BiasOffset, 256);
            Copy(_fc2.weight!, p, info.Layers[4].WeightOffset, 128, 256);
            Copy(_fc2.bias!, p, info.Layers[4].BiasOffset, 128);
            Copy(_bn2.weight!, p, info.Layers[5].WeightOffset, 128);
            Copy(_bn2.bias!, p, info.Layers[5].BiasOffset, 128);
            Copy(_fc3.weight!, p, info.Layers[8].WeightOffset, 10, 128);
            Copy(_fc3.bias!, p, info.Layers[8].BiasOffset, 10);
            // Running statistics: every batch norm's mean then variance, in layer order.
            Copy(_bn1.running_mean!, stats, 0, 256);
            Copy(_bn1.running_var!, stats, 256, 256);
            Copy(_bn2.running_mean!, stats, 512, 128);
            Copy(_bn2.running_var!, stats, 640, 128);
        }
        Build(net, n => optim.AdamW(n.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-4));
    }
}
