using System;
using System.Linq;
using KernelGen.Reference;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Gradient checking (seed deck 003, "Gradient checking"): analytic gradients vs centred finite differences
/// (L(θ+h) − L(θ−h)) / 2h computed in double on the oracle, relative error ‖a − n‖ / (‖a‖ + ‖n‖).
/// The notes: ≈1e-7 great, 1e-3 worrying; float networks must stay below 1e-3.
/// </summary>
public class GradientCheckTests
{
    private const double H = 1e-6;

    public static TheoryData<string> Names() => new(Networks.Selected.Select(c => c.Name));

    // Training mode (batch norm on batch statistics: μ and σ² depend on every parameter below), dropout off as the notes advise.
    private static readonly ReferenceNetwork.Options Mode = new(Training: true, Dropout: false);

    private static ReferenceNetwork.Result Run(NetworkInfo info, double[] p, float[] inputs, int[] labels, float[] targets)
        => info.Loss == LossKind.SoftmaxCrossEntropy
            ? ReferenceNetwork.Classify(info, p, inputs, labels, Mode)
            : ReferenceNetwork.Regress(info, p, inputs, targets, Mode);

    private static double Loss(NetworkInfo info, double[] p, float[] inputs, int[] labels, float[] targets) => Run(info, p, inputs, labels, targets).Loss;

    private static double[] Numeric(NetworkInfo info, double[] p, float[] inputs, int[] labels, float[] targets, int[] indices)
    {
        var n = new double[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            double saved = p[i];
            p[i] = saved + H;
            double plus = Loss(info, p, inputs, labels, targets);
            p[i] = saved - H;
            double minus = Loss(info, p, inputs, labels, targets);
            p[i] = saved;
            n[k] = (plus - minus) / (2 * H);
        }
        return n;
    }

    private static double RelativeError(double[] a, double[] n)
    {
        double diff = 0, na = 0, nn = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff += (a[i] - n[i]) * (a[i] - n[i]);
            na += a[i] * a[i];
            nn += n[i] * n[i];
        }
        return Math.Sqrt(diff) / (Math.Sqrt(na) + Math.Sqrt(nn) + 1e-300);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Analytic_gradients_match_centred_finite_differences(string network)
    {
        Networks.Case c = Networks.Get(network);
        NetworkInfo info = c.Info;
        var r = new Random(2024);
        int rows = Math.Min(info.BatchSize, 4);
        float[] inputs = Enumerable.Range(0, rows * info.Inputs).Select(_ => (float)Values.Normal(r)).ToArray();
        int[] labels = Enumerable.Range(0, rows).Select(_ => r.Next(info.Outputs)).ToArray();
        float[] targets = Enumerable.Range(0, rows * info.Outputs).Select(_ => (float)Values.Normal(r)).ToArray();
        float[] parameters = Values.Parameters(info, r);
        double[] p = parameters.Select(v => (double)v).ToArray();

        using INetwork net = c.Create(Isa.Auto);
        parameters.CopyTo(net.Parameters);
        net.DropoutEnabled = false;
        if (net is IClassifier cl) cl.ComputeGradients(inputs, labels);
        else ((IRegressor)net).ComputeGradients(inputs, targets);

        // Per parameter tensor of the network's tensor list (dense W and b, batch- and layer-norm γ and β, PReLU α), up to 60 sampled entries each.
        double[] oracle = Run(info, p, inputs, labels, targets).Gradients;
        foreach (TensorInfo tensor in info.Tensors.Where(t => t.Trainable))
        {
            (int offset, int length, int index) = (tensor.Offset, tensor.Length, tensor.Layer);
            string name = tensor.Name;
            int[] indices = Enumerable.Range(0, length).OrderBy(_ => r.Next()).Take(60).Select(i => offset + i).ToArray();
            double[] numeric = Numeric(info, p, inputs, labels, targets, indices);
            double[] analytic = indices.Select(i => (double)net.Gradients[i]).ToArray();
            double[] oracleAnalytic = indices.Select(i => oracle[i]).ToArray();
            // A dense bias right before batch norm in training mode has gradient 0 exactly (the batch mean absorbs it):
            // relative error is meaningless there, so the generated gradient must be ~0 against the network's scale.
            double scale = Math.Sqrt(oracle.Sum(g => g * g));
            if (Math.Sqrt(numeric.Sum(v => v * v)) < 1e-7 * scale)
            {
                Assert.True(Math.Sqrt(analytic.Sum(v => v * v)) < 1e-5 * scale, $"layer {index} {name}: gradient should vanish, is {Math.Sqrt(analytic.Sum(v => v * v)):E2}");
                continue;
            }
            double generated = RelativeError(analytic, numeric);
            double reference = RelativeError(oracleAnalytic, numeric);
            Assert.True(generated < 1e-3, $"layer {index} {name}: generated vs finite differences {generated:E2} ≥ 1e-3");
            // The oracle itself, all in double, must be near the notes' "great" level.
            Assert.True(reference < 1e-6, $"layer {index} {name}: oracle vs finite differences {reference:E2} ≥ 1e-6");
        }
    }
}
