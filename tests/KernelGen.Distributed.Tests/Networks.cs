using KernelGen;

namespace KernelGen.Distributed.Tests;

/// <summary>No batch norm, no dropout: N ranks × B rows must equal one rank × N·B rows.</summary>
[Network(Inputs = 64, BatchSize = 48, Seed = 11)]
[Dense(40, Init = Init.HeNormal)]
[Activation(Act.Tanh)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.1f)]
public partial class EqSgdNet;

/// <summary>Adam with decoupled decay: optimizer state must be broadcast and stay identical.</summary>
[Network(Inputs = 64, BatchSize = 48, Seed = 12)]
[Dense(40, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f, WeightDecay = 1e-4f, Decoupled = true)]
public partial class EqAdamNet;

/// <summary>EqSgdNet with one more hidden unit: a rank declaring it must fail at start.</summary>
[Network(Inputs = 64, BatchSize = 48, Seed = 11)]
[Dense(41, Init = Init.HeNormal)]
[Activation(Act.Tanh)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.1f)]
public partial class EqSgdNet41;

/// <summary>The CLI's FashionMlp (batch norm per rank, dropout keyed by rank, AdamW).</summary>
[Network(Inputs = 784, BatchSize = 128, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [BatchNorm(Momentum = 0.9f, Epsilon = 1e-5f)] [Activation(Act.ReLU)] [Dropout(0.2f)]
[Dense(128, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.LeakyReLU, Alpha = 0.01f)] [Dropout(0.2f)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f, Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f, WeightDecay = 1e-4f, Decoupled = true)]
public partial class FashionMlp;
