using System;
using FsCheck;
using FsCheck.Fluent;
using KernelGen.Runtime;
using Xunit;

namespace KernelGen.Tests;

/// <summary>
/// Guard.Finite, the check every TrainStep, ComputeGradients and Predict runs on its inputs before anything changes: for
/// random lengths (every remainder of the four-vector blocks and of one vector, at each width) and finite values spanning
/// the float range (subnormals, ±0, ±3.4e38), it passes; one NaN, +∞ or −∞ anywhere — first element, in a block, in the
/// vector tail, in the scalar tail — throws naming the argument and the first bad index. CI reruns this class with each
/// instruction set off, which takes the Vector256, Vector128 and scalar paths.
/// </summary>
public class GuardOpsTests
{
    private static float FiniteValue(Random r) => r.Next(6) switch
    {
        0 => 0f,
        1 => -0f,
        2 => (r.Next(2) == 0 ? 1 : -1) * float.MaxValue * (float)r.NextDouble(),
        3 => (r.Next(2) == 0 ? 1 : -1) * float.Epsilon * r.Next(1, 1 << 20), // subnormal
        _ => (float)(r.NextDouble() * 2 - 1),
    };

    [Fact]
    public void Finite_values_pass_and_one_non_finite_value_anywhere_throws_naming_its_index()
    {
        Gen<(int Length, int Position, int Bad, int Seed)> gen =
            from length in Gen.OneOf(Gen.Choose(1, 70), Gen.Choose(71, 1100))
            from position in Gen.Choose(0, int.MaxValue)
            from bad in Gen.Choose(0, 2)
            from seed in Gen.Choose(0, int.MaxValue)
            select (length, position % length, bad, seed);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var r = new Random(t.Seed);
            var values = new float[t.Length];
            for (int i = 0; i < values.Length; i++) values[i] = FiniteValue(r);
            Guard.Finite(values, "inputs"); // all finite: no throw
            float bad = t.Bad switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
            values[t.Position] = bad;
            var e = Assert.Throws<ArgumentException>(() => Guard.Finite(values, "inputs"));
            Assert.Equal("inputs", e.ParamName);
            Assert.StartsWith($"inputs[{t.Position}] is {bad}", e.Message);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(400));
    }

    [Fact]
    public void An_empty_span_is_finite() => Guard.Finite(ReadOnlySpan<float>.Empty, "inputs");
}
