using KernelGen;

namespace KernelGen.Benchmarks;

/// <summary>Issue 2's network.</summary>
[Network(Inputs = 64, BatchSize = 32, Seed = 7)]
[Dense(100, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f)]
public partial class DigitsNet;

/// <summary>The reference MLP of issue 3: 784 → 256 → 128 → 10, ReLU, batch up to 256.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(128, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.01f)]
public partial class ReferenceMlp;
