using System;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace KernelGen.Peers;

/// <summary>
/// A KernelGen network's twin in TorchSharp, module for module: a subclass builds the modules and copies KernelGen's tensors into
/// them (<see cref="Copy"/>), then hands over the sequence and its optimizer. Predict: eval mode, no autograd, softmax
/// probabilities; TrainStep: zero_grad, forward, cross-entropy, backward, optimizer step. One intra-op thread (set by the caller).
/// </summary>
public abstract class TorchTwin : IDisposable
{
    private Sequential _net = null!;
    private optim.Optimizer _optimizer = null!;

    /// <summary>The twin's modules in order and its optimizer (called once by the subclass's constructor).</summary>
    protected void Build(Sequential net, Func<Sequential, optim.Optimizer> optimizer)
    {
        _net = net;
        _optimizer = optimizer(net);
    }

    /// <summary>Copies <paramref name="shape"/>'s elements of <paramref name="from"/> at <paramref name="offset"/> into <paramref name="target"/>.</summary>
    protected static void Copy(Tensor target, ReadOnlySpan<float> from, int offset, params long[] shape)
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

    /// <summary>One training step: zero_grad, forward, cross-entropy, backward, optimizer step; returns the loss.</summary>
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
