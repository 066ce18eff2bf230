using System;
using System.Linq;
using KernelGen.Reference;
using Xunit;
using Xunit.Abstractions;

namespace KernelGen.Tests;

/// <summary>
/// [Adadelta] (listed in seed deck 004; the formula of Zeiler 2012 as torch.optim.Adadelta, see
/// <see cref="ReferenceAdadelta"/>): declaration, its formula over 50 steps (also in <see cref="OptimizerTests"/>),
/// 50 training steps against the oracle (forward, backward and update in double), composition with coupled decay,
/// decoupled decay and clipping. Gradient checks and the per-batch oracle run through <see cref="Networks.All"/>.
/// </summary>
public class AdadeltaOptimizerTests(ITestOutputHelper output)
{
    [Fact]
    public void Declared_and_default_hyper_parameters_and_slots()
    {
        Assert.Equal(new[] { "square_avg", "acc_delta" }, OptAdadelta.Info.OptimizerSlots);
        Assert.StartsWith("Adadelta (η = 1", OptAdadelta.Info.Optimizer);
        Assert.Equal(1f, OptAdadeltaDefaults.Info.LearningRate); // PyTorch's default; the notes give none
        Assert.Equal(1f, new AdadeltaAttribute().LearningRate);
        Assert.Equal(0.9f, new AdadeltaAttribute().Rho);
        Assert.Equal(1e-6f, new AdadeltaAttribute().Epsilon);
        Assert.Equal(0.5f, OptAdadeltaDecoupledClipped.Info.LearningRate);
        Assert.Contains("decoupled weight decay λ = 0.5", OptAdadeltaDecoupledClipped.Info.Optimizer);
        Assert.Contains("gradient clipped to norm 0.5", OptAdadeltaDecoupledClipped.Info.Optimizer);
        using var net = new OptAdadelta();
        Assert.Equal(OptAdadelta.ParameterCount, net.OptimizerState(1).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.OptimizerState(2));
    }

    public static TheoryData<string, Isa> FormulaCases()
    {
        var data = new TheoryData<string, Isa>();
        foreach (string name in new[] { "Adadelta", "AdadeltaDefaults", "AdadeltaDecoupledClipped" })
            foreach (Isa isa in Networks.Widths) data.Add(name, isa);
        return data;
    }

    /// <summary>The formula check of <see cref="OptimizerTests"/> (2e-5 + 1e-4·|w| per parameter per step), with its
    /// largest error reported next to the largest single move, so the margin is visible.</summary>
    [Theory]
    [MemberData(nameof(FormulaCases))]
    public void Fifty_steps_match_the_formula(string name, Isa isa)
    {
        (double maxError, double maxMove) = OptimizerTests.Trajectory(name, isa);
        output.WriteLine($"{name} {isa}: max |w − w_formula| = {maxError:E2}, max |Δw| of a step = {maxMove:E2}");
        Assert.True(maxMove > 1e-3, "the steps are too small to test anything");
    }

    public static TheoryData<string, Isa> OracleCases()
    {
        var data = new TheoryData<string, Isa>();
        foreach (string name in new[] { nameof(OptAdadelta), nameof(OptAdadeltaCoupled), nameof(OptAdadeltaDecoupledClipped) })
            foreach (Isa isa in Networks.Widths) data.Add(name, isa);
        return data;
    }

    /// <summary>
    /// 50 TrainSteps of the generated network against 50 steps of the oracle (ReferenceNetwork's gradient, plus λ·W for
    /// coupled L2 decay, then <see cref="ReferenceAdadelta"/>), each side on its own trajectory from the same start:
    /// parameters within 1e-4 + 1e-3·|w| and both state slots within 1e-4 relative after every step.
    /// </summary>
    [Theory]
    [MemberData(nameof(OracleCases))]
    public void Fifty_training_steps_match_the_oracle(string name, Isa isa)
    {
        (IRegressor net, ReferenceAdadelta oracle, double coupled) = name switch
        {
            nameof(OptAdadelta) => ((IRegressor)new OptAdadelta(isa: isa), new ReferenceAdadelta(OptAdadelta.ParameterCount, 0.95, 1e-4, 1.0), 0.0),
            nameof(OptAdadeltaCoupled) => (new OptAdadeltaCoupled(isa: isa), new ReferenceAdadelta(OptAdadelta.ParameterCount, 0.95, 1e-4, 1.0), 0.3),
            _ => (new OptAdadeltaDecoupledClipped(isa: isa),
                new ReferenceAdadelta(OptAdadelta.ParameterCount, 0.9, 1e-6, 0.5, clipNorm: 0.5, decoupledDecay: 0.5), 0.0),
        };
        using var _ = net;
        NetworkInfo info = net.Info;
        bool[] isWeight = WeightMask(info);
        float[] start = net.Parameters.ToArray();
        double[] w = start.Select(v => (double)v).ToArray();
        var r = new Random(13);
        double maxError = 0;
        for (int step = 0; step < 50; step++)
        {
            float[] x = Enumerable.Range(0, 4 * 3).Select(_ => (float)(2 * r.NextDouble() - 1)).ToArray();
            float[] y = Enumerable.Range(0, 4 * 2).Select(_ => (float)(2 * r.NextDouble() - 1)).ToArray();
            net.TrainStep(x, y);
            double[] g = ReferenceNetwork.Regress(info, w, x, y, new ReferenceNetwork.Options(Training: true, Dropout: false)).Gradients;
            for (int i = 0; i < g.Length; i++) if (isWeight[i]) g[i] += coupled * w[i];
            oracle.Update(w, g, isWeight);
            for (int i = 0; i < w.Length; i++)
            {
                double error = Math.Abs(net.Parameters[i] - w[i]);
                maxError = Math.Max(maxError, error);
                Assert.True(error <= 1e-4 + 1e-3 * Math.Abs(w[i]), $"{name} {isa}: step {step + 1}, parameter {i}: {net.Parameters[i]} vs oracle {w[i]}");
                AssertClose(oracle.SquareAverage[i], net.OptimizerState(0)[i], $"{name} {isa}: step {step + 1}, square_avg[{i}]");
                AssertClose(oracle.DeltaAverage[i], net.OptimizerState(1)[i], $"{name} {isa}: step {step + 1}, acc_delta[{i}]");
            }
        }
        double travelled = w.Select((v, i) => Math.Abs(v - start[i])).Max();
        output.WriteLine($"{name} {isa}: max |w − w_oracle| over 50 steps = {maxError:E2}; ‖w₅₀ − w₀‖∞ = {travelled:E2}");
        Assert.True(travelled > 1e-2, "the network hardly moved");
    }

    private static void AssertClose(double expected, float actual, string what)
        => Assert.True(Math.Abs(actual - expected) <= 1e-10 + 1e-4 * Math.Abs(expected), $"{what}: {actual} vs oracle {expected}");

    /// <summary>Coupled L2 decay composes as for every optimizer: λ·W added to the weights' gradient (not the biases').</summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Coupled_decay_adds_to_the_weight_gradients_only(Isa isa)
    {
        using var decayed = new OptAdadeltaCoupled(isa: isa);
        using var plain = new OptAdadelta(isa: isa);
        Assert.True(decayed.Parameters.SequenceEqual(plain.Parameters));
        var r = new Random(9);
        float[] x = Enumerable.Range(0, 12).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        float[] y = Enumerable.Range(0, 8).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        decayed.ComputeGradients(x, y);
        plain.ComputeGradients(x, y);
        bool[] isWeight = WeightMask(OptAdadelta.Info);
        for (int i = 0; i < isWeight.Length; i++)
            Assert.Equal(isWeight[i] ? 0.3 * plain.Parameters[i] : 0, decayed.Gradients[i] - plain.Gradients[i], 1e-6);
    }

    private static bool[] WeightMask(NetworkInfo info)
    {
        var mask = new bool[info.ParameterCount];
        foreach (LayerInfo l in info.Layers)
            if (l.Kind == LayerKind.Dense)
                for (int i = 0; i < l.Inputs * l.Outputs; i++) mask[l.WeightOffset + i] = true;
        return mask;
    }
}
