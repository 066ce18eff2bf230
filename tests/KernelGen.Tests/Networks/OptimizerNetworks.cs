using KernelGen;

namespace KernelGen.Tests;

// 3 → 5 (tanh) → 2: segments W0 15, b0 5, W1 10, b1 2 floats — a tail at every width.
[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f)]
public partial class OptSgd;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Momentum(LearningRate = 0.05f, Rho = 0.8f)]
public partial class OptMomentum;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Momentum(LearningRate = 0.2f, Rho = 0.7f, Form = MomentumForm.Average)]
public partial class OptMomentumAverage;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Nesterov(LearningRate = 0.05f, Rho = 0.9f)]
public partial class OptNesterov;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[AdaGrad(LearningRate = 0.3f, Epsilon = 1e-7f)]
public partial class OptAdaGrad;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[RmsProp(LearningRate = 0.01f, Rho = 0.9f)]
public partial class OptRmsProp;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Adam(LearningRate = 0.02f, Beta1 = 0.9f, Beta2 = 0.99f, Epsilon = 1e-8f)]
public partial class OptAdam;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Adam(LearningRate = 0.02f, WeightDecay = 0.5f, Decoupled = true)]
public partial class OptAdamW;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f, ClipNorm = 0.5f)]
public partial class OptSgdClipped;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f, WeightDecay = 0.3f)]
public partial class DecayL2;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f, WeightDecay = 0.3f, Regularization = Reg.L1)]
public partial class DecayL1;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f, WeightDecay = 0.3f, Regularization = Reg.ElasticNet, ElasticNetBeta = 0.5f)]
public partial class DecayElastic;

// Wide enough for full vectors and several register tiles in dW (coupled decay fused in the dW store).
[Network(Inputs = 37, BatchSize = 6, Seed = 2)] [Dense(23)] [Activation(Act.ReLU)] [Dense(3)] [SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f, WeightDecay = 0.05f)]
public partial class DecayWide;

[Network(Inputs = 37, BatchSize = 6, Seed = 2)] [Dense(23)] [Activation(Act.ReLU)] [Dense(3)] [SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class DecayWidePlain;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f)] [LearningRateSchedule(Schedule.StepDecay, StepSize = 3, Gamma = 0.5f)]
public partial class SchedStep;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f)] [LearningRateSchedule(Schedule.Exponential, Gamma = 0.9f)]
public partial class SchedExponential;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f)] [LearningRateSchedule(Schedule.InverseTime, DecayRate = 0.5f)]
public partial class SchedInverse;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Sgd(LearningRate = 0.1f)] [LearningRateSchedule(Schedule.Cosine, TotalSteps = 10, MinLearningRate = 0.01f, WarmupSteps = 4)]
public partial class SchedCosineWarmup;

// Adadelta (deck 004's list; formula of Zeiler 2012 / torch.optim.Adadelta): ρ and ε declared, η left at its default 1.
[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Adadelta(Rho = 0.95f, Epsilon = 1e-4f)]
public partial class OptAdadelta;

// Every default: η = 1, ρ = 0.9, ε = 1e-6.
[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Adadelta]
public partial class OptAdadeltaDefaults;

// Composition: coupled L2 decay (in the gradient), and decoupled decay with clipping (in the update).
[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Adadelta(Rho = 0.95f, Epsilon = 1e-4f, WeightDecay = 0.3f)]
public partial class OptAdadeltaCoupled;

[Network(Inputs = 3, BatchSize = 4, Seed = 5)] [Dense(5)] [Activation(Act.Tanh)] [Dense(2)] [MeanSquaredError]
[Adadelta(LearningRate = 0.5f, WeightDecay = 0.5f, Decoupled = true, ClipNorm = 0.5f)]
public partial class OptAdadeltaDecoupledClipped;

// TallBatchNet's layers with coupled decay: more rows than the dW kernel's 128-row block, so λ·W must be added once, in the
// last block, where dW is row-blocked (48 and 40 inputs at Vector256/128, 20 at Vector128; see TallBatchNet).
[Network(Inputs = 48, BatchSize = 300, Seed = 3)]
[Dense(40, Init = Init.HeNormal)] [Activation(Act.Tanh)] [Dense(20)] [Activation(Act.ReLU)] [Dense(7)] [SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f, WeightDecay = 0.05f)]
public partial class TallBatchDecayNet;
