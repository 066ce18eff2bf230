using System.Collections.Generic;
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
    public void The_generator_s_tensor_list_is_the_one_the_layers_describe_for_every_test_network()
    {
        // Info.Tensors of a generated network is written by the generator from its layer emitters; TensorInfo.Of derives the same
        // list from the layer descriptions (for descriptions made by hand). Two derivations of one fact: they must agree.
        foreach (Networks.Case c in Networks.All)
        {
            IReadOnlyList<TensorInfo> derived = TensorInfo.Of(c.Info.Layers);
            Assert.Equal(derived.Count, c.Info.Tensors.Count);
            for (int i = 0; i < derived.Count; i++)
            {
                TensorInfo a = c.Info.Tensors[i], b = derived[i];
                Assert.Equal((b.Name, b.Role, b.Layer, b.Block, b.Offset, b.WeightDecay), (a.Name, a.Role, a.Layer, a.Block, a.Offset, a.WeightDecay));
                Assert.Equal(b.Shape, a.Shape);
            }
        }
    }

    /// <summary>Length is the product of the shape, live (a <c>with</c> copy with another shape has that shape's length), and
    /// reading it allocates nothing — training loops read it (the distributed trainer did, 32 B a tensor a step, before it
    /// precomputed them).</summary>
    [Fact]
    public void Length_is_the_shape_s_product_and_allocates_nothing()
    {
        TensorInfo w = FashionMlp.Info.Tensors.First(t => t.Name == "fc1.weight");
        Assert.Equal(256 * 784, w.Length);
        Assert.Equal(6 * 7 * 2, (w with { Shape = new[] { 6, 7, 2 } }).Length);
        IReadOnlyList<TensorInfo> tensors = FashionMlp.Info.Tensors;
        int sum = 0;
        for (int i = 0; i < tensors.Count; i++) sum += tensors[i].Length; // warm-up (JIT)
        long before = System.GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 1000; k++)
            for (int i = 0; i < tensors.Count; i++) sum += tensors[i].Length;
        long allocated = System.GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(sum > 0);
    }

    [Fact]
    public void A_tensor_outside_the_network_s_blocks_is_refused()
    {
        NetworkInfo info = FashionMlp.Info;
        var wrong = info.Tensors.ToList();
        wrong[1] = wrong[1] with { Offset = info.ParameterCount };
        var e = Assert.Throws<System.ArgumentException>(() => new NetworkInfo(info.Name, info.Inputs, info.BatchSize, info.Loss, info.LearningRate, info.Layers, wrong));
        Assert.Equal("tensors", e.ParamName);
        Assert.Contains("fc1.bias", e.Message);
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
