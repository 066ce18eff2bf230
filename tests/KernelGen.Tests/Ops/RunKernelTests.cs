using System;
using System.Linq;
using Xunit;

namespace KernelGen.Tests;

/// <summary>The per-kernel entry point benchmarks use: the same kernels as a step, checked arguments.</summary>
public class RunKernelTests
{
    private static (DigitsNet Net, float[] X, int[] Labels) Trained(Isa isa)
    {
        var net = new DigitsNet(isa: isa);
        var r = new Random(3);
        float[] x = Enumerable.Range(0, 7 * DigitsNet.InputSize).Select(_ => (float)r.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, 7).Select(_ => r.Next(10)).ToArray();
        net.ComputeGradients(x, labels);
        return (net, x, labels);
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void WeightGradient_kernels_reproduce_the_step_bit_for_bit(Isa isa)
    {
        var (net, x, _) = Trained(isa);
        using (net)
        {
            float[] expected = net.Gradients.ToArray();
            net.Gradients.Clear();
            // DigitsNet: Dense(100) at position 0, ReLU at 1, Dense(10) at 2.
            net.RunKernel(0, KernelPass.WeightGradient, x);
            net.RunKernel(2, KernelPass.WeightGradient, x);
            Assert.True(expected.AsSpan().SequenceEqual(net.Gradients), "RunKernel's dW/db differ from ComputeGradients'");
        }
    }

    [Fact]
    public void Forward_and_InputGradient_kernels_run_and_change_no_parameter()
    {
        var (net, x, _) = Trained(Isa.Auto);
        using (net)
        {
            float[] parameters = net.Parameters.ToArray();
            net.RunKernel(0, KernelPass.Forward, x);
            net.RunKernel(2, KernelPass.Forward, x);
            net.RunKernel(2, KernelPass.InputGradient, x);
            Assert.True(parameters.AsSpan().SequenceEqual(net.Parameters));
        }
    }

    [Theory]
    [InlineData(1, KernelPass.Forward)]        // an activation layer has no GEMM kernel
    [InlineData(0, KernelPass.InputGradient)]  // nobody needs the first layer's dX
    [InlineData(3, KernelPass.Forward)]        // past the last layer
    [InlineData(-1, KernelPass.Forward)]
    [InlineData(0, (KernelPass)7)]
    public void Unknown_kernels_are_rejected_naming_the_layer(int layer, KernelPass pass)
    {
        var (net, x, _) = Trained(Isa.Auto);
        using (net)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.RunKernel(layer, pass, x));
            Assert.Equal("layer", e.ParamName);
            Assert.Contains("(0, Forward), (0, WeightGradient), (2, Forward), (2, WeightGradient), (2, InputGradient)", e.Message);
        }
    }

    [Fact]
    public void Inputs_must_be_one_to_BatchSize_rows()
    {
        using var net = new DigitsNet();
        Assert.Equal("inputs", Assert.ThrowsAny<ArgumentException>(() => net.RunKernel(0, KernelPass.Forward, new float[65])).ParamName);
        Assert.Equal("inputs", Assert.ThrowsAny<ArgumentException>(() => net.RunKernel(0, KernelPass.Forward, new float[64 * 33])).ParamName);
        Assert.Equal("inputs", Assert.ThrowsAny<ArgumentException>(() => net.RunKernel(0, KernelPass.Forward, ReadOnlySpan<float>.Empty)).ParamName);
    }
}
