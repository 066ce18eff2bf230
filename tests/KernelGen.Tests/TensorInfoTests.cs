using System.Linq;
using Xunit;

namespace KernelGen.Tests;

/// <summary>The tensor list in <see cref="NetworkInfo.Tensors"/>: names, roles, offsets, shapes, weight decay.</summary>
public class TensorInfoTests
{
    [Fact]
    public void FashionMlp_tensors_have_PyTorch_names_and_tile_the_parameter_block()
    {
        NetworkInfo info = FashionMlp.Info;
        Assert.Equal(new[]
        {
            "fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
            "fc2.weight", "fc2.bias", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var", "fc3.weight", "fc3.bias",
        }, info.Tensors.Select(t => t.Name).ToArray());
        TensorInfo fc1 = info.Tensors[0];
        Assert.Equal((TensorRole.Weight, 0, 0, true), (fc1.Role, fc1.Layer, fc1.Offset, fc1.WeightDecay));
        Assert.Equal(new[] { 256, 784 }, fc1.Shape);
        Assert.Equal(TensorRole.RunningVariance, info.Tensors[5].Role);
        Assert.Equal((TensorBlock.Statistics, 256), (info.Tensors[5].Block, info.Tensors[5].Offset));
        // The trainable tensors follow each other without gaps and cover the parameter block exactly; so do the statistics.
        int next = 0;
        foreach (TensorInfo t in info.Tensors.Where(t => t.Trainable))
        {
            Assert.Equal(next, t.Offset);
            next += t.Length;
        }
        Assert.Equal(info.ParameterCount, next);
        Assert.Equal(info.StatisticsCount, info.Tensors.Where(t => !t.Trainable).Sum(t => t.Length));
        // Weight decay applies to the dense weights only.
        Assert.Equal(new[] { "fc1.weight", "fc2.weight", "fc3.weight" }, info.Tensors.Where(t => t.WeightDecay).Select(t => t.Name).ToArray());
        // Every tensor agrees with the layer description it came from.
        foreach (TensorInfo t in info.Tensors.Where(t => t.Role is TensorRole.Weight or TensorRole.Gamma or TensorRole.Alpha))
            Assert.Equal(info.Layers[t.Layer].WeightOffset, t.Offset);
    }

    [Fact]
    public void PReLU_alpha_is_a_tensor_and_plain_activations_own_none()
    {
        NetworkInfo info = ActivationNet.Info;
        TensorInfo alpha = Assert.Single(info.Tensors, t => t.Role == TensorRole.Alpha);
        Assert.Equal("prelu1.weight", alpha.Name);
        Assert.Equal(LayerKind.Activation, info.Layers[alpha.Layer].Kind);
        Assert.Equal(Act.PReLU, info.Layers[alpha.Layer].Activation);
        Assert.Equal(info.ParameterCount, info.Tensors.Where(t => t.Trainable).Sum(t => t.Length));
        Assert.All(info.Tensors, t => Assert.True(info.Layers[t.Layer].ParameterCount > 0));
    }
}
