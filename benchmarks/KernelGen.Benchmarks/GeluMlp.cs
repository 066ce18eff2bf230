using KernelGen;

namespace KernelGen.Benchmarks;

/// <summary>784→256 GELU→128 SiLU→10 (Adam): GELU and SiLU fused into the dense layers before them — the forward's epilogue writes
/// f(z) and keeps f′(z) from the same evaluation, the next layer's dX multiplies by it. Also the .NET peers' GELU network
/// (KernelGen.Peers links this file).</summary>
[Network(Inputs = 784, BatchSize = 256, Seed = 1)]
[Dense(256, Init = Init.HeNormal)] [Activation(Act.GELU)]
[Dense(128, Init = Init.HeNormal)] [Activation(Act.SiLU)]
[Dense(10, Init = Init.XavierUniform)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class GeluMlp;

