using KernelGen;

namespace KernelGen.Benchmarks.OpNetworks;

// Smallest networks that expose one generated kernel through the public API (the kernels themselves are private
// generated methods). Optimizers: Dense(1) + MSE, so ParameterCount = Inputs + 1 = 128 or 3079 (6·512 + 7), and
// ApplyUpdate is the finite check of the gradients + the fused update over that block. Batch norm must follow a
// dense layer (KG0107), so it is timed as Dense(1 → F) + BatchNorm + MSE against the same network without the batch
// norm: ComputeGradients of both, 32 rows; the difference is the batch norm's forward (statistics, normalise,
// running averages) and backward.

[Network(Inputs = 127, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [Sgd(LearningRate = 1e-3f)]
public partial class Sgd128;
[Network(Inputs = 3078, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [Sgd(LearningRate = 1e-3f)]
public partial class Sgd3079;

[Network(Inputs = 127, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [Momentum(LearningRate = 1e-3f, Rho = 0.9f)]
public partial class Momentum128;
[Network(Inputs = 3078, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [Momentum(LearningRate = 1e-3f, Rho = 0.9f)]
public partial class Momentum3079;

[Network(Inputs = 127, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [Nesterov(LearningRate = 1e-3f, Rho = 0.9f)]
public partial class Nesterov128;
[Network(Inputs = 3078, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [Nesterov(LearningRate = 1e-3f, Rho = 0.9f)]
public partial class Nesterov3079;

[Network(Inputs = 127, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [AdaGrad(LearningRate = 1e-3f)]
public partial class AdaGrad128;
[Network(Inputs = 3078, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [AdaGrad(LearningRate = 1e-3f)]
public partial class AdaGrad3079;

[Network(Inputs = 127, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [RmsProp(LearningRate = 1e-3f, Rho = 0.99f)]
public partial class RmsProp128;
[Network(Inputs = 3078, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError] [RmsProp(LearningRate = 1e-3f, Rho = 0.99f)]
public partial class RmsProp3079;

[Network(Inputs = 127, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError]
[Adam(LearningRate = 1e-3f, WeightDecay = 1e-4f, Decoupled = true)]
public partial class AdamW128;
[Network(Inputs = 3078, BatchSize = 1, Seed = 1)] [Dense(1)] [MeanSquaredError]
[Adam(LearningRate = 1e-3f, WeightDecay = 1e-4f, Decoupled = true)]
public partial class AdamW3079;

[Network(Inputs = 1, BatchSize = 32, Seed = 1)] [Dense(128)] [BatchNorm(Momentum = 0.9f, Epsilon = 1e-5f)] [MeanSquaredError] [Sgd]
public partial class BatchNorm128;
[Network(Inputs = 1, BatchSize = 32, Seed = 1)] [Dense(3079)] [BatchNorm(Momentum = 0.9f, Epsilon = 1e-5f)] [MeanSquaredError] [Sgd]
public partial class BatchNorm3079;
[Network(Inputs = 1, BatchSize = 32, Seed = 1)] [Dense(128)] [MeanSquaredError] [Sgd]
public partial class NoBatchNorm128;
[Network(Inputs = 1, BatchSize = 32, Seed = 1)] [Dense(3079)] [MeanSquaredError] [Sgd]
public partial class NoBatchNorm3079;
