using KernelGen;

namespace KernelGen.Onnx.Tests;

// The README's FashionMlp: batch norm, ReLU, LeakyReLU, dropout, softmax.
[Network(Inputs = 784, BatchSize = 128, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [BatchNorm(Momentum = 0.9f, Epsilon = 1e-5f)] [Activation(Act.ReLU)] [Dropout(0.2f)]
[Dense(128, Init = Init.HeNormal)] [BatchNorm] [Activation(Act.LeakyReLU, Alpha = 0.01f)] [Dropout(0.2f)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f, WeightDecay = 1e-4f, Decoupled = true)]
public partial class FashionMlp;

// Every other activation, PReLU's learned α, a dense layer without bias, maxout; a regression head (no softmax).
[Network(Inputs = 12, BatchSize = 16, Seed = 3)]
[Dense(20)] [Activation(Act.GELU)]
[Dense(18, Bias = false)] [Activation(Act.SiLU)]
[Dense(16)] [Activation(Act.PReLU)]
[Dense(14)] [Activation(Act.ELU, Alpha = 0.7f)]
[Dense(12)] [Activation(Act.Softplus)]
[Dense(10)] [Activation(Act.Tanh)]
[Dense(3 * 8)] [Maxout(3)]
[Dense(6)] [Activation(Act.Sigmoid)]
[Dense(4)]
[MeanSquaredError]
[Sgd(LearningRate = 0.05f)]
public partial class EveryActivationNet;

// Layer norm (issue 13): after a dense layer with ReLU fused, on 3 features before a stand-alone GELU; exported as LayerNormalization.
[Network(Inputs = 12, BatchSize = 10, Seed = 6)]
[Dense(20)] [LayerNorm] [Activation(Act.ReLU)]
[Dense(3)] [LayerNorm(Epsilon = 1e-3f)] [Activation(Act.GELU)]
[Dense(4)]
[MeanSquaredError]
[Sgd(LearningRate = 0.05f)]
public partial class LayerNormExportNet;
