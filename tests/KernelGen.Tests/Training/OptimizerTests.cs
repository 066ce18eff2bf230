using System;
using System.Linq;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Optimizers, weight decay, clipping and schedules against references written from the formulas of the
/// course notes (seed deck "Training neural networks II": momentum, Nesterov, AdaGrad, RMSProp, Adam; weight
/// decay and elastic net in "Regularization"). Trajectories: 50 updates on a random quadratic
/// f(w) = ½·Σ aᵢ(wᵢ − cᵢ)², the gradient aᵢ(wᵢ − cᵢ) computed from the network's own float parameters and given to
/// both sides, the reference in double. Tolerance: |w − w_ref| ≤ 2e-5 + 1e-4·|w_ref| per parameter per step.
/// </summary>
public class OptimizerTests
{
    private enum Kind { Sgd, Momentum, MomentumAverage, Nesterov, AdaGrad, RmsProp, Adam, Adadelta }

    private sealed record Hyper(Kind Kind, double Lr, double Rho = 0.9, double Beta1 = 0.9, double Beta2 = 0.999,
        double Eps = 1e-8, double DecoupledDecay = 0, double ClipNorm = 0);

    /// <summary>The reference: one update of <paramref name="w"/> in double, straight from the formulas.</summary>
    private sealed class Reference
    {
        private readonly Hyper _h;
        private readonly double[] _s1, _s2;
        private long _t;

        public Reference(Hyper h, int n)
        {
            _h = h;
            _s1 = new double[n];
            _s2 = new double[n];
        }

        public void Update(double[] w, double[] g, bool[] isWeight)
        {
            _t++;
            double scale = 1;
            if (_h.ClipNorm > 0)
            {
                double norm = Math.Sqrt(g.Sum(x => x * x));
                if (norm > _h.ClipNorm) scale = _h.ClipNorm / norm;
            }
            for (int i = 0; i < w.Length; i++)
            {
                double gi = g[i] * scale;
                if (_h.DecoupledDecay > 0 && isWeight[i]) w[i] -= _h.Lr * _h.DecoupledDecay * w[i];
                switch (_h.Kind)
                {
                    case Kind.Sgd: w[i] -= _h.Lr * gi; break;
                    case Kind.Momentum: _s1[i] = _h.Rho * _s1[i] + gi; w[i] -= _h.Lr * _s1[i]; break;
                    case Kind.MomentumAverage: _s1[i] = _h.Rho * _s1[i] + (1 - _h.Rho) * gi; w[i] -= _h.Lr * _s1[i]; break;
                    case Kind.Nesterov:
                    {
                        double old = _s1[i];
                        _s1[i] = _h.Rho * old - _h.Lr * gi;
                        w[i] += -_h.Rho * old + (1 + _h.Rho) * _s1[i];
                        break;
                    }
                    case Kind.AdaGrad: _s1[i] += gi * gi; w[i] -= _h.Lr * gi / (Math.Sqrt(_s1[i]) + _h.Eps); break;
                    case Kind.RmsProp: _s1[i] = _h.Rho * _s1[i] + (1 - _h.Rho) * gi * gi; w[i] -= _h.Lr * gi / (Math.Sqrt(_s1[i]) + _h.Eps); break;
                    case Kind.Adam:
                    {
                        _s1[i] = _h.Beta1 * _s1[i] + (1 - _h.Beta1) * gi;
                        _s2[i] = _h.Beta2 * _s2[i] + (1 - _h.Beta2) * gi * gi;
                        double mHat = _s1[i] / (1 - Math.Pow(_h.Beta1, _t));
                        double vHat = _s2[i] / (1 - Math.Pow(_h.Beta2, _t));
                        w[i] -= _h.Lr * mHat / (Math.Sqrt(vHat) + _h.Eps);
                        break;
                    }
                    case Kind.Adadelta: // s1 = E[g²], s2 = E[Δx²]
                    {
                        _s1[i] = _h.Rho * _s1[i] + (1 - _h.Rho) * gi * gi;
                        double delta = Math.Sqrt(_s2[i] + _h.Eps) / Math.Sqrt(_s1[i] + _h.Eps) * gi;
                        _s2[i] = _h.Rho * _s2[i] + (1 - _h.Rho) * delta * delta;
                        w[i] -= _h.Lr * delta;
                        break;
                    }
                }
            }
        }
    }

    public static TheoryData<string, Isa> Cases()
    {
        var data = new TheoryData<string, Isa>();
        foreach (string name in new[] { "Sgd", "Momentum", "MomentumAverage", "Nesterov", "AdaGrad", "RmsProp", "Adam", "AdamW", "SgdClipped",
                     "Adadelta", "AdadeltaDefaults", "AdadeltaDecoupledClipped" })
            foreach (Isa isa in Networks.Widths) data.Add(name, isa);
        return data;
    }

    private static (INetwork Net, Hyper Hyper) Create(string name, Isa isa) => name switch
    {
        "Sgd" => (new OptSgd(isa: isa), new Hyper(Kind.Sgd, 0.1)),
        "Momentum" => (new OptMomentum(isa: isa), new Hyper(Kind.Momentum, 0.05, Rho: 0.8)),
        "MomentumAverage" => (new OptMomentumAverage(isa: isa), new Hyper(Kind.MomentumAverage, 0.2, Rho: 0.7)),
        "Nesterov" => (new OptNesterov(isa: isa), new Hyper(Kind.Nesterov, 0.05, Rho: 0.9)),
        "AdaGrad" => (new OptAdaGrad(isa: isa), new Hyper(Kind.AdaGrad, 0.3, Eps: 1e-7)),
        "RmsProp" => (new OptRmsProp(isa: isa), new Hyper(Kind.RmsProp, 0.01, Rho: 0.9)),
        "Adam" => (new OptAdam(isa: isa), new Hyper(Kind.Adam, 0.02, Beta1: 0.9, Beta2: 0.99)),
        "AdamW" => (new OptAdamW(isa: isa), new Hyper(Kind.Adam, 0.02, DecoupledDecay: 0.5)),
        "SgdClipped" => (new OptSgdClipped(isa: isa), new Hyper(Kind.Sgd, 0.1, ClipNorm: 0.5)),
        "Adadelta" => (new OptAdadelta(isa: isa), new Hyper(Kind.Adadelta, 1.0, Rho: 0.95, Eps: 1e-4)),
        "AdadeltaDefaults" => (new OptAdadeltaDefaults(isa: isa), new Hyper(Kind.Adadelta, 1.0, Rho: 0.9, Eps: 1e-6)),
        "AdadeltaDecoupledClipped" => (new OptAdadeltaDecoupledClipped(isa: isa),
            new Hyper(Kind.Adadelta, 0.5, Rho: 0.9, Eps: 1e-6, DecoupledDecay: 0.5, ClipNorm: 0.5)),
        _ => throw new ArgumentException(name),
    };

    private static bool[] WeightMask(NetworkInfo info)
    {
        var mask = new bool[info.ParameterCount];
        foreach (LayerInfo l in info.Layers)
            if (l.Kind == LayerKind.Dense)
                for (int i = 0; i < l.Inputs * l.Outputs; i++) mask[l.WeightOffset + i] = true;
        return mask;
    }

    /// <summary>
    /// Formula (per optimizer, see <see cref="Reference.Update"/>): 50 updates on a random quadratic equal the
    /// double reference within 2e-5 + 1e-4·|w|.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Trajectory_on_a_random_quadratic_matches_the_formula(string name, Isa isa) => Trajectory(name, isa);

    /// <summary>The 50-step check of <see cref="Trajectory_on_a_random_quadratic_matches_the_formula"/>; returns the largest
    /// |w − w_ref| seen and the largest reference move |Δw_ref| of one step (for reports).</summary>
    internal static (double MaxError, double MaxMove) Trajectory(string name, Isa isa)
    {
        var (net, hyper) = Create(name, isa);
        using var _ = net;
        int n = net.Parameters.Length;
        var r = new Random(name.Length * 31 + (int)isa);
        double[] a = Enumerable.Range(0, n).Select(_ => 0.5 + 1.5 * r.NextDouble()).ToArray();
        double[] c = Enumerable.Range(0, n).Select(_ => 2 * r.NextDouble() - 1).ToArray();
        // Clipping only bites when the gradient is large: scale the quadratic up for that case.
        double gain = hyper.ClipNorm > 0 ? 10 : 1;
        double[] w = net.Parameters.ToArray().Select(x => (double)x).ToArray();
        bool[] isWeight = WeightMask(net.Info);
        var reference = new Reference(hyper, n);
        var g = new double[n];
        var start = new double[n];
        double maxError = 0, maxMove = 0;
        for (int step = 0; step < 50; step++)
        {
            Span<float> gradients = net.Gradients;
            Span<float> parameters = net.Parameters;
            for (int i = 0; i < n; i++)
            {
                gradients[i] = (float)(gain * a[i] * (parameters[i] - c[i]));
                g[i] = gradients[i];
                w[i] = start[i] = parameters[i]; // both sides start the step from the same float parameters
            }
            net.ApplyUpdate();
            reference.Update(w, g, isWeight);
            parameters = net.Parameters;
            for (int i = 0; i < n; i++)
            {
                double error = Math.Abs(parameters[i] - w[i]);
                maxError = Math.Max(maxError, error);
                maxMove = Math.Max(maxMove, Math.Abs(w[i] - start[i]));
                Assert.True(error <= 2e-5 + 1e-4 * Math.Abs(w[i]),
                    $"{name} {isa}: step {step + 1}, parameter {i}: {parameters[i]} vs reference {w[i]}");
            }
            Assert.Equal(step + 1, net.Step);
        }
        return (maxError, maxMove);
    }

    /// <summary>Adam's bias correction: the first update moves every parameter by η·g/|g| ≈ η (not by η·(1 − β₁)/√(1 − β₂)).</summary>
    [Fact]
    public void Adam_bias_correction_makes_the_first_step_the_learning_rate()
    {
        using var net = new OptAdam();
        float[] before = net.Parameters.ToArray();
        var r = new Random(4);
        for (int i = 0; i < net.Gradients.Length; i++) net.Gradients[i] = (float)(r.NextDouble() - 0.5);
        float[] g = net.Gradients.ToArray();
        net.ApplyUpdate();
        for (int i = 0; i < before.Length; i++)
            Assert.Equal(-0.02 * Math.Sign(g[i]), net.Parameters[i] - before[i], 1e-5);
    }

    [Fact]
    public void ApplyUpdate_rejects_non_finite_gradients_and_changes_nothing()
    {
        using var net = new OptAdam();
        float[] before = net.Parameters.ToArray();
        net.Gradients[7] = float.NaN;
        var e = Assert.Throws<InvalidOperationException>(() => net.ApplyUpdate());
        Assert.Contains("Gradients[7]", e.Message);
        Assert.True(before.AsSpan().SequenceEqual(net.Parameters));
        Assert.Equal(0, net.Step);
    }

    [Fact]
    public void ApplyUpdate_ignores_a_frozen_layers_non_finite_gradients_as_TrainStep_does()
    {
        using var net = new OptAdam();
        int second = OptAdam.Info.Layers[2].WeightOffset; // layer 0's W and b come before it
        net.SetFrozen(0);
        net.Gradients.Fill(0.25f);
        net.Gradients[7] = float.NaN; // layer 0, frozen: the update drops it
        float[] before = net.Parameters.ToArray();
        net.ApplyUpdate();
        Assert.Equal(1, net.Step);
        Assert.True(before.AsSpan(0, second).SequenceEqual(net.Parameters[..second]));
        for (int i = second; i < before.Length; i++) Assert.NotEqual(before[i], net.Parameters[i]);
        net.Gradients[second + 3] = float.PositiveInfinity; // layer 2, not frozen
        before = net.Parameters.ToArray();
        var e = Assert.Throws<InvalidOperationException>(() => net.ApplyUpdate());
        Assert.Contains($"Gradients[{second + 3}]", e.Message);
        Assert.True(before.AsSpan().SequenceEqual(net.Parameters));
        Assert.Equal(1, net.Step);
    }

    public static TheoryData<string, Isa> DecayCases()
    {
        var data = new TheoryData<string, Isa>();
        foreach (string name in new[] { "L2", "L1", "ElasticNet" })
            foreach (Isa isa in Networks.Widths) data.Add(name, isa);
        return data;
    }

    /// <summary>
    /// Coupled decay (seed deck "Regularization": R(W) = ‖W‖², ‖W‖₁, β‖W‖² + ‖W‖₁): the loss gains λ·R(W) (with the
    /// ½ on the squares), the gradient λ·∂R/∂W on weights and nothing on biases. Checked as the difference to the
    /// same network without decay.
    /// </summary>
    [Theory]
    [MemberData(nameof(DecayCases))]
    public void Coupled_weight_decay_adds_its_term_to_loss_and_weight_gradients_only(string reg, Isa isa)
    {
        using IRegressor decayed = reg switch
        {
            "L2" => new DecayL2(isa: isa),
            "L1" => new DecayL1(isa: isa),
            _ => new DecayElastic(isa: isa),
        };
        using var plain = new OptSgd(isa: isa);
        Assert.True(decayed.Parameters.SequenceEqual(plain.Parameters)); // same seed, same layers
        var r = new Random(9);
        float[] x = Enumerable.Range(0, 4 * 3).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        float[] y = Enumerable.Range(0, 4 * 2).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        float lossDecayed = decayed.ComputeGradients(x, y);
        float lossPlain = plain.ComputeGradients(x, y);
        bool[] isWeight = WeightMask(OptSgd.Info);
        double lambda = 0.3, beta = 0.5, penalty = 0;
        for (int i = 0; i < isWeight.Length; i++)
        {
            double wi = plain.Parameters[i];
            double sign = Math.Sign(wi);
            (double term, double grad) = reg switch
            {
                "L2" => (0.5 * wi * wi, wi),
                "L1" => (Math.Abs(wi), sign),
                _ => (0.5 * beta * wi * wi + Math.Abs(wi), beta * wi + sign),
            };
            double expected = isWeight[i] ? lambda * grad : 0;
            if (isWeight[i]) penalty += lambda * term;
            Assert.Equal(expected, decayed.Gradients[i] - plain.Gradients[i], 1e-5);
        }
        Assert.Equal(penalty, lossDecayed - lossPlain, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Coupled_decay_in_the_vectorised_dW_kernels_matches_on_a_wide_layer(Isa isa)
    {
        using var decayed = new DecayWide(isa: isa);
        using var plain = new DecayWidePlain(isa: isa);
        var r = new Random(2);
        float[] x = Enumerable.Range(0, 6 * 37).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        int[] labels = { 0, 1, 2, 2, 1, 0 };
        decayed.ComputeGradients(x, labels);
        plain.ComputeGradients(x, labels);
        bool[] isWeight = WeightMask(DecayWidePlain.Info);
        for (int i = 0; i < isWeight.Length; i++)
            Assert.Equal(isWeight[i] ? 0.05 * plain.Parameters[i] : 0, decayed.Gradients[i] - plain.Gradients[i], 1e-6);
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Coupled_decay_is_added_once_when_dW_is_blocked_over_rows(Isa isa)
    {
        using var decayed = new TallBatchDecayNet(isa: isa);
        using var plain = new TallBatchNet(isa: isa);
        Assert.Equal(plain.Parameters.ToArray(), decayed.Parameters.ToArray()); // same shapes and seed
        bool[] isWeight = WeightMask(TallBatchNet.Info);
        var r = new Random(5);
        foreach (int rows in new[] { 300, 257, 129, 128, 40 })
        {
            float[] x = Enumerable.Range(0, rows * 48).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
            int[] labels = Enumerable.Range(0, rows).Select(_ => r.Next(7)).ToArray();
            decayed.ComputeGradients(x, labels);
            plain.ComputeGradients(x, labels);
            for (int i = 0; i < isWeight.Length; i++)
                Assert.True(Math.Abs((isWeight[i] ? 0.05 * plain.Parameters[i] : 0) - (decayed.Gradients[i] - plain.Gradients[i])) <= 1e-6,
                    $"{rows} rows, gradient {i}: decayed − plain = {decayed.Gradients[i] - plain.Gradients[i]}, expected {(isWeight[i] ? 0.05 * plain.Parameters[i] : 0)}");
        }
    }

    /// <summary>Schedules (seed deck "learning rate decay"): the rate at each step equals the formula.</summary>
    [Fact]
    public void Learning_rate_schedules_follow_their_formulas()
    {
        static void Check(INetwork net, Func<long, double> formula)
        {
            using (net)
            {
                for (long t = 0; t < 15; t++)
                {
                    Assert.Equal(t, net.Step);
                    Assert.Equal(formula(t), net.LearningRate, 1e-6);
                    net.Gradients.Clear();
                    net.ApplyUpdate();
                }
            }
        }
        Check(new OptSgd(), _ => 0.1);
        Check(new SchedStep(), t => 0.1 * Math.Pow(0.5, t / 3));
        Check(new SchedExponential(), t => 0.1 * Math.Pow(0.9, t));
        Check(new SchedInverse(), t => 0.1 / (1 + 0.5 * t));
        Check(new SchedCosineWarmup(), t =>
        {
            double rate = 0.01 + 0.5 * (0.1 - 0.01) * (1 + Math.Cos(Math.PI * Math.Min(t, 10) / 10));
            return t < 4 ? rate * (t + 1) / 4 : rate;
        });
    }
}
