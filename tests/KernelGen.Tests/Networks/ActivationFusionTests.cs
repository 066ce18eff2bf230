using System;
using System.Linq;
using KernelGen;
using KernelGen.Runtime;
using KernelGen.Training;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// GELU and SiLU fused into the dense layer (or layer norm) before them (issue 14 part 3): the forward writes f(z) and keeps
/// f′(z) from the same evaluation, and whichever kernel writes the layer's gradient multiplies by the kept f′ — here a dropout's
/// backward, a layer norm's (itself with GELU fused: the next dense layer's dX applies its f′), a batch norm's (plain and
/// synchronised), a stand-alone GELU's and a dense layer's dX. 45 outputs (a partial last panel at every width), a layer without
/// bias, 20 and 24 outputs (partial Vector512 panels); 37 rows take the packed kernels. The leading identity layer keeps the
/// dropout at the twin's layer position (its mask key).
/// </summary>
[Network(Inputs = 40, BatchSize = 37, Seed = 13)]
[Activation(Act.Identity)]
[Dense(45)] [Activation(Act.GELU)] [Dropout(0.25f)]
[Dense(33, Bias = false)] [Activation(Act.SiLU)] [LayerNorm] [Activation(Act.GELU)]
[Dense(20)] [Activation(Act.GELU)] [BatchNorm]
[Dense(24)] [Activation(Act.SiLU)] [Activation(Act.GELU)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-2f)]
public partial class FusedGeluNet;

/// <summary>
/// <see cref="FusedGeluNet"/> with the fusion broken: an identity layer after each dense layer (fused into it as its activation)
/// leaves GELU and SiLU to their own kernels, which take f′ at the input. Identity is exact, so the function is the same.
/// </summary>
[Network(Inputs = 40, BatchSize = 37, Seed = 13)]
[Dense(45)] [Activation(Act.Identity)] [Activation(Act.GELU)] [Dropout(0.25f)]
[Dense(33, Bias = false)] [Activation(Act.Identity)] [Activation(Act.SiLU)] [LayerNorm] [Activation(Act.Identity)] [Activation(Act.GELU)]
[Dense(20)] [Activation(Act.Identity)] [Activation(Act.GELU)] [BatchNorm]
[Dense(24)] [Activation(Act.Identity)] [Activation(Act.SiLU)] [Activation(Act.GELU)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-2f)]
public partial class UnfusedGeluNet;

/// <summary>
/// GELU and SiLU fused into a batch norm: its store pass writes f and keeps f′ — plain (the next dense layer's dX applies f′),
/// with a fused dropout (the batch norm's backward applies it under the mask), and synchronised. 48 and 32 features (whole
/// vectors at every width: the store pass and the stand-alone kernel both run f in vectors). Two leading identity layers keep
/// the dropout at the twin's layer position (its mask key).
/// </summary>
[Network(Inputs = 24, BatchSize = 37, Seed = 15)]
[Activation(Act.Identity)] [Activation(Act.Identity)]
[Dense(48)] [BatchNorm] [Activation(Act.GELU)]
[Dense(32)] [BatchNorm] [Activation(Act.SiLU)] [Dropout(0.2f)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-2f)]
public partial class FusedNormGeluNet;

/// <summary><see cref="FusedNormGeluNet"/> with GELU, SiLU and the dropout in kernels of their own (an identity fused into each batch norm).</summary>
[Network(Inputs = 24, BatchSize = 37, Seed = 15)]
[Dense(48)] [BatchNorm] [Activation(Act.Identity)] [Activation(Act.GELU)]
[Dense(32)] [BatchNorm] [Activation(Act.Identity)] [Activation(Act.SiLU)] [Dropout(0.2f)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-2f)]
public partial class UnfusedNormGeluNet;

/// <summary>A regressor whose last dense layer has GELU fused (the loss kernel multiplies by the kept f′), 12 inputs (under one
/// Vector512: the canonical kernel's scalar body), 3 outputs (canonical kernels, no packed copy).</summary>
[Network(Inputs = 12, BatchSize = 24, Seed = 14)]
[Dense(30)] [Activation(Act.SiLU)]
[Dense(3)] [Activation(Act.GELU)]
[MeanSquaredError]
[Momentum(LearningRate = 0.01f)]
public partial class FusedGeluRegressor;

/// <summary><see cref="FusedGeluRegressor"/> with GELU and SiLU in kernels of their own.</summary>
[Network(Inputs = 12, BatchSize = 24, Seed = 14)]
[Dense(30)] [Activation(Act.Identity)] [Activation(Act.SiLU)]
[Dense(3)] [Activation(Act.Identity)] [Activation(Act.GELU)]
[MeanSquaredError]
[Momentum(LearningRate = 0.01f)]
public partial class UnfusedGeluRegressor;

public class ActivationFusionTests
{
    private static int[] Bits(ReadOnlySpan<float> values) => values.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    private static bool Accelerated(Isa isa) => isa != Isa.Scalar && IsaSupport.IsAccelerated(isa);

    /// <summary>
    /// The fused network is the unfused one bit for bit, at every width and for packed (16+ rows) and canonical (7 rows) kernels:
    /// both apply f and f′ to the same pre-activations with the same vector (or, at the scalar width, scalar) operations — the packed
    /// kernels after each tile, the canonical kernels over each block of rows, the stand-alone kernel over the whole buffer — and
    /// a vector's lanes do not depend on where it starts.
    /// </summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Fused_classifier_matches_the_unfused_twin(Isa isa)
    {
        using var fused = new FusedGeluNet(isa: isa);
        using var twin = new UnfusedGeluNet(isa: isa);
        MatchesTwin(isa, fused, twin);
    }

    /// <summary>The same for GELU and SiLU fused into batch norms (plain, with a fused dropout, then synchronised).</summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Fused_batch_norm_matches_the_unfused_twin(Isa isa)
    {
        using var fused = new FusedNormGeluNet(isa: isa);
        using var twin = new UnfusedNormGeluNet(isa: isa);
        MatchesTwin(isa, fused, twin);
    }

    /// <summary>Trains both from the same parameters and requires the same bits: losses, gradients, parameters, predictions.</summary>
    internal static void MatchesTwin(Isa isa, IClassifier fused, IClassifier twin)
    {
        Assert.Equal(fused.Info.Tensors.Select(t => (t.Offset, t.Length)), twin.Info.Tensors.Select(t => (t.Offset, t.Length)));
        fused.Parameters.CopyTo(twin.Parameters);
        var r = new Random(3);
        int inputs = fused.Info.Inputs, outputs = fused.Info.Outputs;
        float[] x = new float[fused.Info.BatchSize * inputs];
        int[] y = new int[fused.Info.BatchSize];
        int steps = Accelerated(isa) || isa == Isa.Scalar ? 10 : 4;
        int[] rowCounts = { 37, 30, 16, 37, 19 };
        for (int s = 0; s < steps; s++)
        {
            if (s == steps / 2) // the synchronised batch-norm kernels from here on (their dx writes the layer's gradient too)
            {
                ((ISynchronisedBatchNorm)fused).BatchStatisticsReducer = new Alone();
                ((ISynchronisedBatchNorm)twin).BatchStatisticsReducer = new Alone();
            }
            int rows = rowCounts[s % rowCounts.Length];
            for (int i = 0; i < rows * inputs; i++) x[i] = 2f * (float)Values.Normal(r);
            for (int i = 0; i < rows; i++) y[i] = r.Next(outputs);
            float a = fused.TrainStep(x.AsSpan(0, rows * inputs), y.AsSpan(0, rows));
            float b = twin.TrainStep(x.AsSpan(0, rows * inputs), y.AsSpan(0, rows));
            Assert.True(BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b), $"step {s} ({rows} rows): loss {a:R} fused, {b:R} unfused");
            Assert.True(Bits(fused.Gradients).SequenceEqual(Bits(twin.Gradients)), $"step {s}: gradients differ");
            Assert.True(Bits(fused.Parameters).SequenceEqual(Bits(twin.Parameters)), $"step {s}: parameters differ");
        }
        var p = new float[37 * outputs];
        var q = new float[37 * outputs];
        fused.Predict(x.AsSpan(0, 37 * inputs), p);
        twin.Predict(x.AsSpan(0, 37 * inputs), q);
        Assert.Equal(Bits(q), Bits(p));

        // Under 16 rows: the canonical kernels.
        for (int i = 0; i < 7 * inputs; i++) x[i] = 2f * (float)Values.Normal(r);
        float la = fused.TrainStep(x.AsSpan(0, 7 * inputs), y.AsSpan(0, 7));
        float lb = twin.TrainStep(x.AsSpan(0, 7 * inputs), y.AsSpan(0, 7));
        Assert.Equal(BitConverter.SingleToInt32Bits(lb), BitConverter.SingleToInt32Bits(la));
        Assert.Equal(Bits(twin.Gradients), Bits(fused.Gradients));
        Assert.Equal(Bits(twin.Parameters), Bits(fused.Parameters));
        fused.Predict(x.AsSpan(0, 7 * inputs), p.AsSpan(0, 7 * outputs));
        twin.Predict(x.AsSpan(0, 7 * inputs), q.AsSpan(0, 7 * outputs));
        Assert.Equal(Bits(q), Bits(p));
    }

    /// <summary>The last layer's GELU fused (the loss kernel applies the kept f′), the canonical kernels throughout: the scalar width
    /// bit for bit, the vector widths closely — fewer inputs than a Vector512 (the scalar body does that layer) and 3 outputs (one row
    /// is under a vector) take f in scalar code where the stand-alone kernel runs vectors.</summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Fused_regressor_matches_the_unfused_twin(Isa isa)
    {
        using var fused = new FusedGeluRegressor(isa: isa);
        using var twin = new UnfusedGeluRegressor(isa: isa);
        fused.Parameters.CopyTo(twin.Parameters);
        var r = new Random(4);
        int inputs = FusedGeluRegressor.Info.Inputs, outputs = FusedGeluRegressor.Info.Outputs, batch = FusedGeluRegressor.Info.BatchSize;
        float[] x = new float[batch * inputs], t = new float[batch * outputs];
        for (int s = 0; s < 6; s++)
        {
            int rows = s % 2 == 0 ? batch : 5;
            for (int i = 0; i < rows * inputs; i++) x[i] = 2f * (float)Values.Normal(r);
            for (int i = 0; i < rows * outputs; i++) t[i] = (float)Values.Normal(r);
            float a = fused.TrainStep(x.AsSpan(0, rows * inputs), t.AsSpan(0, rows * outputs));
            float b = twin.TrainStep(x.AsSpan(0, rows * inputs), t.AsSpan(0, rows * outputs));
            if (isa == Isa.Scalar)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(b), BitConverter.SingleToInt32Bits(a));
                Assert.Equal(Bits(twin.Gradients), Bits(fused.Gradients));
                Assert.Equal(Bits(twin.Parameters), Bits(fused.Parameters));
            }
            else
            {
                Assert.True(Math.Abs(a - b) <= 1e-5f * Math.Abs(b), $"step {s}: loss {a:R} fused, {b:R} unfused");
                for (int k = 0; k < FusedGeluRegressor.Info.Tensors.Count; k++)
                {
                    TensorInfo tensor = FusedGeluRegressor.Info.Tensors[k];
                    AssertClose(fused.Gradients.Slice(tensor.Offset, tensor.Length), twin.Gradients.Slice(tensor.Offset, tensor.Length), 1e-5,
                        $"step {s}: {tensor.Name} gradient");
                }
                AssertClose(fused.Parameters, twin.Parameters, 1e-5, $"step {s}: parameters");
            }
        }
    }

    /// <summary>‖a − b‖₂ ≤ relative·‖b‖₂.</summary>
    private static void AssertClose(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double relative, string what)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
            norm += (double)b[i] * b[i];
        }
        Assert.True(Math.Sqrt(diff) <= relative * Math.Sqrt(norm), $"{what}: ‖a − b‖ = {Math.Sqrt(diff):E3}, ‖b‖ = {Math.Sqrt(norm):E3}");
    }
}
