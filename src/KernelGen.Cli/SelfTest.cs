using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KernelGen.Cli.Networks;
using KernelGen.Reference;
using KernelGen.Runtime;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen selftest</c>: runs every width this CPU accelerates (and scalar) on the built-in networks
/// against the double-precision oracle and prints the relative error of every kernel's output.
/// </summary>
internal static class SelfTest
{
    /// <summary>Same bound as the test suite: ‖a − r‖∞ ≤ 1e-4·‖r‖∞ per tensor (float accumulation is ~1e-6).</summary>
    private const double Tolerance = 1e-4;

    private sealed record Subject(string Name, Func<Isa, IClassifier> Create, NetworkInfo Info);

    public static int Run(bool all, Isa? only = null)
    {
        var subjects = new[]
        {
            new Subject("DigitsNet", isa => new DigitsNet(isa: isa), DigitsNet.Info),
            new Subject("ReferenceMlp", isa => new ReferenceMlp(isa: isa), ReferenceMlp.Info),
            new Subject("FashionMlp", isa => new FashionMlp(isa: isa), FashionMlp.Info), // batch norm, dropout, LeakyReLU, folding
        };
        Isa[] widths = new[] { Isa.Vector512, Isa.Vector256, Isa.Vector128, Isa.Scalar }
            .Where(w => only is null ? all || IsaSupport.IsAccelerated(w) : w == only).ToArray();
        Console.WriteLine($"selftest: widths {string.Join(", ", widths.Select(w => $"{w} ({(IsaSupport.IsAccelerated(w) ? "hardware" : "software")})"))}; Isa.Auto = {IsaSupport.Best}");
        Console.WriteLine("kernel errors are max |a − r| / max |r| per tensor vs the double oracle; bound " + Tolerance.ToString("E0", CultureInfo.InvariantCulture));
        Console.WriteLine();
        bool ok = true;
        foreach (Subject s in subjects)
        {
            var r = new Random(20261122);
            int rows = s.Info.BatchSize - 3; // a partial batch: row remainders run too
            float[] inputs = new float[rows * s.Info.Inputs];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)(r.NextDouble() * 2 - 1);
            int[] labels = Enumerable.Range(0, rows).Select(_ => r.Next(s.Info.Outputs)).ToArray();
            float[] parameters = new float[s.Info.ParameterCount];
            // From the network's tensor list, by role (PReLU's α stays 0: the check still covers its gradient).
            foreach (TensorInfo t in s.Info.Tensors)
            {
                Func<double>? draw = t.Role switch
                {
                    TensorRole.Weight => () => (r.NextDouble() * 2 - 1) * Math.Sqrt(3.0 / t.Shape[1]),
                    TensorRole.Bias or TensorRole.Beta => () => r.NextDouble() - 0.5,
                    TensorRole.Gamma => () => 0.5 + r.NextDouble(),
                    _ => null,
                };
                if (draw is not null && t.Trainable)
                    for (int i = 0; i < t.Length; i++) parameters[t.Offset + i] = (float)draw();
            }
            int seed;
            using (IClassifier probe = s.Create(Isa.Scalar)) seed = probe.Seed;
            double[] pd = parameters.Select(v => (double)v).ToArray();
            // Training mode with dropout on (masks from the network's seed at step 0); Predict in inference mode (batch norm
            // folded, running statistics at their initial 0 and 1).
            ReferenceNetwork.Result expected = ReferenceNetwork.Classify(s.Info, pd, inputs, labels, new ReferenceNetwork.Options(Seed: seed));
            double[] predicted = ReferenceNetwork.Predict(s.Info, pd, inputs, rows);

            var columns = new List<(string Name, Func<IClassifier, float[], double> Error)>
            {
                ("predict", (net, outputs) => Error(outputs, predicted, 0, outputs.Length)),
            };
            var layers = s.Info.Layers;
            foreach (IGrouping<int, TensorInfo> layer in s.Info.Tensors.Where(t => t.Trainable).GroupBy(t => t.Layer).Reverse())
            foreach (TensorInfo t in layer)
            {
                // A dense bias right before batch norm has gradient 0 (the batch mean absorbs it): no relative error to take.
                if (t.Role == TensorRole.Bias && t.Layer + 1 < layers.Count && layers[t.Layer + 1].Kind == LayerKind.BatchNorm) continue;
                string symbol = t.Role switch { TensorRole.Weight => "dW", TensorRole.Bias => "db", TensorRole.Gamma => "dγ", TensorRole.Beta => "dβ", TensorRole.Alpha => "dα", _ => "d" + t.Suffix };
                columns.Add(($"L{t.Layer} {symbol}", (net, _) => Error(net.Gradients, expected.Gradients, t.Offset, t.Length)));
            }
            Console.WriteLine($"{s.Name} ({rows} rows)".PadRight(24) + string.Concat(columns.Select(c => c.Name.PadLeft(11))));
            foreach (Isa isa in widths)
            {
                using IClassifier net = s.Create(isa);
                parameters.CopyTo(net.Parameters);
                net.ComputeGradients(inputs, labels);
                float[] outputs = new float[rows * s.Info.Outputs];
                net.Predict(inputs, outputs);
                double[] errors = columns.Select(c => c.Error(net, outputs)).ToArray();
                bool pass = errors.All(e => e <= Tolerance);
                ok &= pass;
                Console.WriteLine($"  {isa,-10}{(pass ? "ok" : "FAIL"),-12}" + string.Concat(errors.Select(e => e.ToString("E2", CultureInfo.InvariantCulture).PadLeft(11))));
            }
            Console.WriteLine("  (dX kernels are checked through the dW/db of the layers before them; L0 has none.)");
            Console.WriteLine();
        }
        Console.WriteLine(ok ? "selftest: all kernels agree with the oracle" : "selftest: FAILED");
        return ok ? 0 : 1;
    }

    private static double Error(ReadOnlySpan<float> actual, double[] expected, int offset, int length)
    {
        double diff = 0, max = 0;
        for (int i = 0; i < length; i++)
        {
            double a = actual[i + (actual.Length == expected.Length ? offset : 0)];
            if (double.IsNaN(a)) return double.PositiveInfinity;
            diff = Math.Max(diff, Math.Abs(a - expected[offset + i]));
            max = Math.Max(max, Math.Abs(expected[offset + i]));
        }
        return diff / Math.Max(max, 1e-30);
    }
}
