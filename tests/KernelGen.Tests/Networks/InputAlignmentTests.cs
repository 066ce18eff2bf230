using System;
using System.Linq;
using System.Runtime.InteropServices;
using KernelGen;
using Xunit;

namespace KernelGen.Tests;

/// <summary>160 inputs (whole vectors at every width: 10 / 20 / 40 of them), so the first layer's dW kernel starts its blocks of
/// k at the inputs' first aligned column and covers the columns before it and after the last whole vector with one edge tile.
/// In the oracle and finite-difference suites (Harness).</summary>
[Network(Inputs = 160, BatchSize = 80, Seed = 21)]
[Dense(30, Init = Init.HeNormal)] [Activation(Act.ReLU)]
[Dense(5)]
[SoftmaxCrossEntropy]
[Adam(LearningRate = 1e-3f)]
public partial class ShiftedDwNet;

/// <summary><see cref="ShiftedDwNet"/>'s first layer with a batch over the dW kernel's 128-row block: the blocks of k resume
/// from dW row block by row block, the edge tile runs once over all rows after them. Coupled weight decay: the edges add it to
/// lanes the blocks also store. (TallBatchNet has the oracle check of a shifted, row-blocked kernel: 48 inputs at Vector256/128.)</summary>
[Network(Inputs = 160, BatchSize = 300, Seed = 22)]
[Dense(13, Init = Init.HeNormal)] [Activation(Act.Tanh)]
[Dense(4)]
[SoftmaxCrossEntropy]
[Sgd(LearningRate = 0.05f, WeightDecay = 0.02f)]
public partial class ShiftedTallDwNet;

/// <summary>
/// The dW kernels start their blocks of k where the inputs' rows are vector-aligned (<c>Lanes.Lead</c>): a caller's array is
/// aligned to 8 or 16 bytes only, and loads across two cache lines made the first layer's dW 5–7 % slower on Intel at 128 rows. Wherever
/// the inputs start, the gradients must be the same bits as from aligned inputs (no edges at all): every element is the same
/// FMA chain over the rows whichever tile computes it. The shift applies from 64 rows (63 and fewer: the blocks start at 0).
/// </summary>
public class InputAlignmentTests
{
    /// <summary>Gradients of one <c>ComputeGradients</c> on a fresh network, with the inputs copied to start <paramref name="offset"/>
    /// floats past a 64-byte boundary.</summary>
    private static int[] Gradients<T>(Func<T> create, float[] x, int[] y, int offset) where T : IClassifier, IDisposable
    {
        float[] buffer = GC.AllocateArray<float>(x.Length + 32, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, 0).ToInt64();
        int start = (int)((64 - address % 64) % 64 / sizeof(float)) + offset; // floats to the boundary, then the offset
        x.CopyTo(buffer.AsSpan(start));
        using T net = create();
        net.ComputeGradients(buffer.AsSpan(start, x.Length), y);
        return net.Gradients.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
    }

    private static void SameAtEveryOffset<T>(Func<T> create, int inputs, int outputs, int[] batches) where T : IClassifier, IDisposable
    {
        var r = new Random(23);
        foreach (int rows in batches)
        {
            float[] x = new float[rows * inputs];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(r.NextDouble() * 2 - 1);
            int[] y = Enumerable.Range(0, rows).Select(i => (i * 7) % outputs).ToArray();
            int[] aligned = Gradients(create, x, y, 0);
            for (int offset = 1; offset < 16; offset++)
                Assert.True(aligned.SequenceEqual(Gradients(create, x, y, offset)), $"{rows} rows, inputs {offset} floats past a 64-byte boundary");
        }
    }

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void First_layer_gradients_do_not_depend_on_where_the_inputs_start(Isa isa)
        => SameAtEveryOffset(() => new ShiftedDwNet(isa: isa, threads: 1), ShiftedDwNet.InputSize, ShiftedDwNet.OutputSize, new[] { 80, 64, 63, 1 });

    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Row_blocked_gradients_do_not_depend_on_where_the_inputs_start(Isa isa)
        => SameAtEveryOffset(() => new ShiftedTallDwNet(isa: isa, threads: 1), ShiftedTallDwNet.InputSize, ShiftedTallDwNet.OutputSize,
            new[] { 300, 131, 128, 9 });

    /// <summary>Two threads split dW by output tiles; each computes the same lead from the same inputs.</summary>
    [Theory]
    [MemberData(nameof(Networks.EveryWidth), MemberType = typeof(Networks))]
    public void Threaded_gradients_do_not_depend_on_where_the_inputs_start(Isa isa)
        => SameAtEveryOffset(() => new ShiftedTallDwNet(isa: isa, threads: 2), ShiftedTallDwNet.InputSize, ShiftedTallDwNet.OutputSize,
            new[] { 300 });
}
