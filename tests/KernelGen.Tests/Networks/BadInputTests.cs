using System;
using System.Linq;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Wrong lengths, rows, labels and non-finite values: an ArgumentException naming the argument,
/// thrown before anything changes (parameters, gradients and step counter bitwise as before).</summary>
public class BadInputTests
{
    private static void AssertRejected(string param, Action<DigitsNet> call)
    {
        using var net = new DigitsNet();
        var r = new Random(1);
        float[] x = Enumerable.Range(0, 4 * 64).Select(_ => (float)r.NextDouble()).ToArray();
        net.TrainStep(x, new[] { 1, 2, 3, 4 }); // gradients non-zero, step 1
        float[] parameters = net.Parameters.ToArray();
        float[] gradients = net.Gradients.ToArray();
        var e = Assert.ThrowsAny<ArgumentException>(() => call(net));
        Assert.Equal(param, e.ParamName);
        Assert.Contains(param, e.Message);
        Assert.True(parameters.AsSpan().SequenceEqual(net.Parameters), "parameters changed");
        Assert.True(gradients.AsSpan().SequenceEqual(net.Gradients), "gradients changed");
        Assert.Equal(1, net.Step);
    }

    private static float[] Inputs(int rows) => Enumerable.Repeat(0.5f, rows * 64).ToArray();

    [Fact] public void Inputs_of_the_wrong_length() => AssertRejected("inputs", n => n.TrainStep(Inputs(3).AsSpan(1), new[] { 0, 1, 2 }));
    [Fact] public void Zero_rows() => AssertRejected("labels", n => n.TrainStep(ReadOnlySpan<float>.Empty, ReadOnlySpan<int>.Empty));
    [Fact] public void More_rows_than_BatchSize() => AssertRejected("labels", n => n.TrainStep(Inputs(33), new int[33]));
    [Fact] public void Negative_label() => AssertRejected("labels", n => n.TrainStep(Inputs(2), new[] { 0, -1 }));
    [Fact] public void Label_equal_to_OutputSize() => AssertRejected("labels", n => n.TrainStep(Inputs(2), new[] { 10, 0 }));

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_inputs(float bad)
    {
        float[] x = Inputs(3);
        x[100] = bad;
        AssertRejected("inputs", n => n.TrainStep(x, new[] { 0, 1, 2 }));
        AssertRejected("inputs", n => n.Predict(x, new float[30]));
        AssertRejected("inputs", n => n.Evaluate(x, new[] { 0, 1, 2 }));
    }

    [Fact] public void Predict_outputs_of_the_wrong_length() => AssertRejected("outputs", n => n.Predict(Inputs(3), new float[29]));
    [Fact] public void Predict_inputs_not_a_whole_number_of_rows() => AssertRejected("inputs", n => n.Predict(new float[65], new float[10]));
    [Fact] public void Evaluate_with_mismatched_rows() => AssertRejected("inputs", n => n.Evaluate(Inputs(3), new[] { 1, 2 }));

    [Fact]
    public void Row_counts_whose_size_overflows_int_are_rejected()
    {
        // (2^26 + 1) rows × 64 wraps to 64 in 32-bit arithmetic; the check must compare in 64 bits.
        var e = Assert.Throws<ArgumentException>(() => KernelGen.Runtime.Guard.RowsLength(64, (1 << 26) + 1, 64, "inputs", "InputSize"));
        Assert.Equal("inputs", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => KernelGen.Runtime.Guard.Batch(64, (1 << 26) + 1, 64, int.MaxValue, "inputs", "labels"));
        Assert.Equal("inputs", e.ParamName);
    }

    [Fact]
    public void Regressor_rejects_bad_targets()
    {
        using var net = new TinyRegressor();
        float[] before = net.Parameters.ToArray();
        var e = Assert.ThrowsAny<ArgumentException>(() => net.TrainStep(new float[6], new float[13]));
        Assert.Equal("targets", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => net.TrainStep(new float[6], new[] { 0f, 0, 0, 0, 0, 0, float.NaN, 0, 0, 0, 0, 0, 0, 0 }));
        Assert.Equal("targets", e.ParamName);
        Assert.True(before.AsSpan().SequenceEqual(net.Parameters));
    }

    [Fact]
    public void A_loss_that_is_not_finite_makes_no_update()
    {
        using var net = new TinyRegressor();
        net.Parameters.Fill(3e38f); // outputs overflow to infinity
        float[] before = net.Parameters.ToArray();
        float loss = net.TrainStep(new float[] { 1, 1, 1 }, new float[7]);
        Assert.False(float.IsFinite(loss));
        Assert.True(before.AsSpan().SequenceEqual(net.Parameters));
        Assert.Equal(0, net.Step);
    }
}
