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

/// <summary>Batch norm twice (after a dense layer without bias, and with Tanh fused), momentum SGD: synchronised batch norm
/// must make N ranks × B rows equal one rank × N·B rows.</summary>
[Network(Inputs = 64, BatchSize = 48, Seed = 13)]
[Dense(40, Bias = false, Init = Init.HeNormal)]
[BatchNorm]
[Activation(Act.ReLU)]
[Dense(24)]
[BatchNorm(Momentum = 0.8f)]
[Activation(Act.Tanh)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Momentum(LearningRate = 0.05f)]
public partial class EqBnNet;
