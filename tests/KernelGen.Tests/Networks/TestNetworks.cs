using KernelGen;

// Networks the runtime tests train and compare with the oracle. Their shapes cover the cases the
// emitter treats differently: widths that are and are not multiples of 4, 8 and 16 lanes, widths
// below one vector, stand-alone and fused activations, no bias, dense → dense, both losses.

namespace KernelGen.Tests;

/// <summary>Exactly the network of issue 2.</summary>
[Network(Inputs = 64, BatchSize = 32, Seed = 7)]
[Dense(100, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f)]
public partial class DigitsNet;

/// <summary>Odd widths, Tanh and Sigmoid fused.</summary>
[Network(Inputs = 37, BatchSize = 9, Seed = 1)]
[Dense(19, Init = Init.XavierNormal)]
[Activation(Act.Tanh)]
[Dense(23, Init = Init.XavierUniform)]
[Activation(Act.Sigmoid)]
[Dense(5, Init = Init.LeCunNormal)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.1f)]
public partial class OddNet;

/// <summary>Narrower than a vector everywhere; a stand-alone activation after a fused one; MSE.</summary>
[Network(Inputs = 3, BatchSize = 5, Seed = 2)]
[Dense(2, Init = Init.HeUniform)]
[Activation(Act.ReLU)]
[Activation(Act.Tanh)]
[Dense(7, Init = Init.SmallNormal)]
[MeanSquaredError]
[Sgd(LearningRate = 0.05f)]
public partial class TinyRegressor;

/// <summary>Activation first, a dense layer without bias, a stand-alone activation after a fused one, one output.</summary>
[Network(Inputs = 17, BatchSize = 4, Seed = 3)]
[Activation(Act.Sigmoid)]
[Dense(33, Bias = false, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Activation(Act.Tanh)]
[Dense(1)]
[Activation(Act.Sigmoid)]
[MeanSquaredError]
[Sgd(LearningRate = 0.02f)]
public partial class MixedRegressor;

/// <summary>Dense → dense with no activation between, an identity activation, widths around 16 lanes.</summary>
[Network(Inputs = 130, BatchSize = 6, Seed = 4)]
[Dense(65)]
[Dense(16)]
[Activation(Act.Identity)]
[Dense(17, Init = Init.XavierNormal)]
[Activation(Act.ReLU)]
[Dense(3)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.01f)]
public partial class WideNet;

/// <summary>Up to 300 wide: every tail of 4, 8 and 16 lanes appears somewhere (300 % 16 = 12, 257 % 16 = 1).</summary>
[Network(Inputs = 300, BatchSize = 13, Seed = 5)]
[Dense(257, Init = Init.HeNormal)]
[Activation(Act.ReLU)]
[Dense(10)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.01f)]
public partial class BigNet;

/// <summary>A batch larger than the dW kernel's row block (128): dW resumes its accumulators block by block where k is whole
/// vectors (48 inputs at every width; 40 at Vector256/128; 20 at Vector128), with coupled weight decay added in the last
/// block only; the other layer-width pairs keep the unblocked kernel. Checked against the oracle for 1..300 rows.</summary>
[Network(Inputs = 48, BatchSize = 300, Seed = 3)]
[Dense(40, Init = Init.HeNormal)]
[Activation(Act.Tanh)]
[Dense(20)]
[Activation(Act.ReLU)]
[Dense(7)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f)]
public partial class TallBatchNet;
