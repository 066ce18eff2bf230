using System;

namespace KernelGen;

/// <summary>How <see cref="OptimizerAttribute.WeightDecay"/> penalises the weights (never biases).</summary>
public enum Reg
{
    /// <summary>L2: λ/2·‖W‖² added to the loss, λ·W to the gradient (fused into the dW kernel).</summary>
    L2 = 0,
    /// <summary>L1: λ·‖W‖₁ added to the loss, λ·sign(W) to the gradient.</summary>
    L1 = 1,
    /// <summary>Elastic net: λ·(β/2·‖W‖² + ‖W‖₁) in the loss, λ·(β·W + sign W) in the gradient; β = <see cref="OptimizerAttribute.ElasticNetBeta"/>.</summary>
    ElasticNet = 2,
}

/// <summary>
/// Base of the optimizer attributes. Every optimizer runs as one fused pass over the parameter block per step,
/// per width. Weight decay applies to dense weights only; biases are never decayed.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public abstract class OptimizerAttribute : NetworkElementAttribute
{
    /// <summary>Learning rate η (before any schedule). Finite and positive.</summary>
    public float LearningRate { get; set; } = 0.01f;

    /// <summary>Weight decay λ ≥ 0; 0 (the default) turns it off.</summary>
    public float WeightDecay { get; set; }

    /// <summary>The penalty <see cref="WeightDecay"/> applies when it is coupled (in the loss). Default L2.</summary>
    public Reg Regularization { get; set; } = Reg.L2;

    /// <summary>β of the elastic net (weight of the L2 part). Default 1.</summary>
    public float ElasticNetBeta { get; set; } = 1f;

    /// <summary>
    /// Decoupled weight decay (Loshchilov &amp; Hutter; AdamW): w ← w − η·λ·w applied by the update itself,
    /// not through the loss or the gradient. Only with <see cref="Reg.L2"/>. Default false.
    /// </summary>
    public bool Decoupled { get; set; }

    /// <summary>Clip the gradient to this global L2 norm before the update (0: no clipping, the default).
    /// The clipped gradient is that of the whole loss, regularisation included.</summary>
    public float ClipNorm { get; set; }
}

/// <summary>Plain stochastic gradient descent: <c>w ← w − η·g</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SgdAttribute : OptimizerAttribute
{
}

/// <summary>The two momentum forms the course teaches.</summary>
public enum MomentumForm
{
    /// <summary><c>v ← ρ·v + g</c>, <c>w ← w − η·v</c>.</summary>
    Classic = 0,
    /// <summary><c>v ← β·v + (1 − β)·g</c>, <c>w ← w − η·v</c> (an exponential average of the gradients).</summary>
    Average = 1,
}

/// <summary>SGD with momentum: <c>v ← ρ·v + g</c> (or the averaged form), <c>w ← w − η·v</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MomentumAttribute : OptimizerAttribute
{
    /// <summary>ρ (or β in the averaged form), in [0, 1). Default 0.9.</summary>
    public float Rho { get; set; } = 0.9f;

    /// <summary>Which of the two forms. Default <see cref="MomentumForm.Classic"/>.</summary>
    public MomentumForm Form { get; set; }
}

/// <summary>
/// Nesterov momentum: <c>v ← ρ·v − η·∇f(w + ρ·v)</c>, <c>w ← w + v</c>, in the look-ahead variables
/// the parameters hold (w̃ = w + ρ·v): <c>w̃ ← w̃ − ρ·v_old + (1 + ρ)·v</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class NesterovAttribute : OptimizerAttribute
{
    /// <summary>ρ in [0, 1). Default 0.9.</summary>
    public float Rho { get; set; } = 0.9f;
}

/// <summary>AdaGrad: <c>h ← h + g²</c>, <c>w ← w − η·g / (√h + ε)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AdaGradAttribute : OptimizerAttribute
{
    /// <summary>ε &gt; 0 in the denominator. Default 1e-8.</summary>
    public float Epsilon { get; set; } = 1e-8f;
}

/// <summary>RMSProp: <c>h ← ρ·h + (1 − ρ)·g²</c>, <c>w ← w − η·g / (√h + ε)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class RmsPropAttribute : OptimizerAttribute
{
    /// <summary>Decay ρ in [0, 1). Default 0.99.</summary>
    public float Rho { get; set; } = 0.99f;

    /// <summary>ε &gt; 0 in the denominator. Default 1e-8.</summary>
    public float Epsilon { get; set; } = 1e-8f;
}

/// <summary>
/// Adam with bias correction: <c>m ← β₁m + (1 − β₁)g</c>, <c>v ← β₂v + (1 − β₂)g²</c>,
/// <c>w ← w − η·m̂ / (√v̂ + ε)</c> with <c>m̂ = m / (1 − β₁ᵗ)</c>, <c>v̂ = v / (1 − β₂ᵗ)</c>.
/// With <c>Decoupled = true</c> and a <see cref="OptimizerAttribute.WeightDecay"/> it is AdamW.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AdamAttribute : OptimizerAttribute
{
    /// <summary>β₁ in [0, 1). Default 0.9.</summary>
    public float Beta1 { get; set; } = 0.9f;

    /// <summary>β₂ in [0, 1). Default 0.999.</summary>
    public float Beta2 { get; set; } = 0.999f;

    /// <summary>ε &gt; 0. Default 1e-8.</summary>
    public float Epsilon { get; set; } = 1e-8f;
}

/// <summary>
/// Adadelta (Zeiler 2012), as <c>torch.optim.Adadelta</c>: <c>E[g²] ← ρ·E[g²] + (1 − ρ)·g²</c>,
/// <c>Δx = √(E[Δx²] + ε) / √(E[g²] + ε) · g</c>, <c>E[Δx²] ← ρ·E[Δx²] + (1 − ρ)·Δx²</c>, <c>w ← w − η·Δx</c>.
/// The state slots are <c>square_avg</c> (E[g²]) and <c>acc_delta</c> (E[Δx²]), PyTorch's names.
/// The learning rate defaults to 1 (Adadelta's step needs none; η scales it, as in PyTorch).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AdadeltaAttribute : OptimizerAttribute
{
    /// <summary>Creates the attribute with η = 1.</summary>
    public AdadeltaAttribute() => LearningRate = 1f;

    /// <summary>Decay ρ of both running averages, in [0, 1). Default 0.9 (PyTorch's; Zeiler's paper used 0.95).</summary>
    public float Rho { get; set; } = 0.9f;

    /// <summary>ε &gt; 0 inside both roots. Default 1e-6.</summary>
    public float Epsilon { get; set; } = 1e-6f;
}
