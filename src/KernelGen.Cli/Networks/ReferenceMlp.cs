using KernelGen;

namespace KernelGen.Cli.Networks;

/// <summary>The reference MLP of the benchmarks: 784 → 256 (ReLU) → 128 (ReLU) → 10, softmax, batch ≤ 256.</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(128, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.01f)]
public partial class ReferenceMlp;
