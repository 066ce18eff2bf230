using KernelGen;

// Networks using every building block of issue 4 (seed deck 000): batch norm (foldable with and without a
// dense bias, and not foldable), dropout (first layer, between layers, after batch norm), maxout, PReLU and
// every activation, fused where the derivative follows from the output (GELU and SiLU after a dense layer: f′ kept) and
// stand-alone elsewhere.

namespace KernelGen.Tests;

/// <summary>The spelling of issue 4, at the shape of the test suite (784 inputs, batch 128).</summary>
[Network(Inputs = 784, BatchSize = 128, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [BatchNorm(Momentum = 0.9f, Epsilon = 1e-5f)] [Activation(Act.ReLU)] [Dropout(0.2f)]
[Dense(128, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.LeakyReLU, Alpha = 0.01f)] [Dropout(0.2f)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f, Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f, WeightDecay = 1e-4f, Decoupled = true)]
public partial class FashionMlp;

/// <summary>Odd widths; batch norm after a dense layer without bias (folded with a made-up bias) and with one; Tanh fused into batch norm; dropout.</summary>
[Network(Inputs = 13, BatchSize = 11, Seed = 3)]
[Dense(37, Bias = false, Init = Init.HeUniform)]
[BatchNorm(Momentum = 0.8f)]
[Activation(Act.ReLU)]
[Dense(19)]
[BatchNorm(Epsilon = 1e-3f)]
[Activation(Act.Tanh)]
[Dropout(0.3f)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Momentum(LearningRate = 0.05f)]
public partial class BatchNormNet;

/// <summary>Every activation: LeakyReLU and ELU fused (derivative from the output), GELU and SiLU fused (f′ kept), PReLU stand-alone (from the input), Softplus; MSE.</summary>
[Network(Inputs = 23, BatchSize = 7, Seed = 4)]
[Dense(21)] [Activation(Act.LeakyReLU, Alpha = 0.2f)]
[Dense(18)] [Activation(Act.ELU, Alpha = 0.7f)]
[Dense(17)] [Activation(Act.GELU)]
[Dense(9)] [Activation(Act.SiLU)]
[Dense(20)] [Activation(Act.PReLU)]
[Dense(6)] [Activation(Act.Softplus)]
[MeanSquaredError]
[Adam(LearningRate = 0.01f)]
public partial class ActivationNet;

/// <summary>Input dropout, maxout (3 and 2 pieces), batch norm after maxout (not foldable) with Softplus fused, Constant init.</summary>
[Network(Inputs = 30, BatchSize = 9, Seed = 5)]
[Dropout(0.1f)]
[Dense(12, Init = Init.XavierNormal)] [Maxout(3)]
[Dropout(0.5f)]
[Dense(20)] [Maxout(2)]
[BatchNorm]
[Activation(Act.Softplus)]
[Dense(4, Init = Init.Constant, InitValue = 0.05f)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f)]
public partial class MaxoutNet;

/// <summary>Issue 13's layer-norm network: LayerNorm after a dense layer, ReLU fused into it (20 features: one Vector512 and a tail).</summary>
[Network(Inputs = 12, BatchSize = 10, Seed = 6)]
[Dense(20, Init = Init.HeNormal)] [LayerNorm] [Activation(Act.ReLU)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-2f)]
public partial class LayerNormNet;

/// <summary>Layer norm on the inputs, after a dense layer without bias (37 features) with Tanh fused, and on 3 features (narrower than
/// any vector) followed by a stand-alone GELU and dropout; ε declared; MSE.</summary>
[Network(Inputs = 13, BatchSize = 7, Seed = 7)]
[LayerNorm]
[Dense(37, Bias = false, Init = Init.HeUniform)] [LayerNorm(Epsilon = 1e-3f)] [Activation(Act.Tanh)]
[Dense(3)] [LayerNorm] [Activation(Act.GELU)] [Dropout(0.25f)]
[Dense(4)]
[MeanSquaredError]
[Momentum(LearningRate = 0.02f)]
public partial class LayerNormOddNet;
