using System;

namespace KernelGen;

/// <summary>Learning-rate schedules; t counts the optimizer steps taken (<c>Step</c>, saved with the network).</summary>
public enum Schedule
{
    /// <summary>η.</summary>
    Constant = 0,
    /// <summary>η·γ^⌊t / StepSize⌋.</summary>
    StepDecay = 1,
    /// <summary>η·γ^t.</summary>
    Exponential = 2,
    /// <summary>η / (1 + k·t), k = DecayRate (the "1/t" decay).</summary>
    InverseTime = 3,
    /// <summary>η_min + ½(η − η_min)(1 + cos(π·min(t, T)/T)), T = TotalSteps.</summary>
    Cosine = 4,
}

/// <summary>
/// Declares the learning-rate schedule of the network's optimizer. With <see cref="WarmupSteps"/> W &gt; 0 the
/// rate ramps linearly, η_t·(t + 1)/W for t &lt; W, before the schedule takes over.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LearningRateScheduleAttribute : NetworkElementAttribute
{
    /// <summary>Declares a schedule.</summary>
    public LearningRateScheduleAttribute(Schedule schedule) => Schedule = schedule;

    /// <summary>The schedule.</summary>
    public Schedule Schedule { get; }

    /// <summary>StepDecay: steps between decays. Default 1000.</summary>
    public int StepSize { get; set; } = 1000;

    /// <summary>StepDecay and Exponential: factor γ in (0, 1]. Default 0.5 for StepDecay; set it for Exponential (e.g. 0.9999).</summary>
    public float Gamma { get; set; } = 0.5f;

    /// <summary>InverseTime: k ≥ 0. Default 1e-3.</summary>
    public float DecayRate { get; set; } = 1e-3f;

    /// <summary>Cosine: T, the steps over which the rate falls to <see cref="MinLearningRate"/>. Default 10000.</summary>
    public int TotalSteps { get; set; } = 10000;

    /// <summary>Cosine: η_min ≥ 0. Default 0.</summary>
    public float MinLearningRate { get; set; }

    /// <summary>Linear warm-up steps W ≥ 0. Default 0.</summary>
    public int WarmupSteps { get; set; }
}
