using KernelGen;

namespace KernelGen.Cli.Networks;

/// <summary>
/// <see cref="FashionMlp"/>'s layers, optimizer and seed with BatchSize 256, so <c>kernelgen compare</c> and the
/// benchmarks can time a 256-row training step (FashionMlp itself takes at most 128 rows).
/// </summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [BatchNorm(Momentum = 0.9f, Epsilon = 1e-5f)] [Activation(Act.ReLU)] [Dropout(0.2f)]
[Dense(128, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.LeakyReLU, Alpha = 0.01f)] [Dropout(0.2f)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f, Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f, WeightDecay = 1e-4f, Decoupled = true)]
public partial class FashionMlp256;
