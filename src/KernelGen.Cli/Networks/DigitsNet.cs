using KernelGen;

namespace KernelGen.Cli.Networks;

/// <summary>The built-in network for the bundled 8×8 digits: 64 → 100 (ReLU) → 10, softmax, SGD.</summary>
[Network(Inputs = 64, BatchSize = 32, Seed = 7)]
[Dense(100, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f)]
public partial class DigitsNet;
