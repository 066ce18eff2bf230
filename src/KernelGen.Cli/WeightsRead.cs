using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace KernelGen.Cli;

/// <summary>
/// The floor under a one-row Predict: the time to read a network's weights once, at the widest vector, from whichever cache
/// holds them (FashionMlp's 235k floats, 917 KiB, stay in a 2 MiB L2 between calls). A 64-byte-aligned buffer of that many
/// floats summed with eight independent Vector512 accumulators (Vector256 where 512 bits are not accelerated): sequential
/// aligned loads, no other work. A one-row forward reads each weight once and does two FLOPs with it, so no kernel can
/// beat this figure by much (only the part of the weights still in L1 from the call before).
/// </summary>
internal sealed class WeightsRead
{
    private readonly float[] _buffer;
    private readonly int _offset, _count;

    public WeightsRead(int count)
    {
        _count = count / 128 * 128;
        _buffer = GC.AllocateArray<float>(_count + 16, pinned: true);
        for (int i = 0; i < _buffer.Length; i++) _buffer[i] = i * 1e-7f;
        nint address = Marshal.UnsafeAddrOfPinnedArrayElement(_buffer, 0); // on the pinned heap: the address holds
        _offset = (int)((64 - (address & 63)) & 63) / sizeof(float);
    }

    /// <summary>Bytes one <see cref="Run"/> reads.</summary>
    public long Bytes => (long)_count * sizeof(float);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public float Run()
    {
        ref float p = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), _offset);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
            for (nuint i = 0; i < (nuint)_count; i += 128)
            {
                c0 += Vector512.LoadUnsafe(ref p, i); c1 += Vector512.LoadUnsafe(ref p, i + 16); c2 += Vector512.LoadUnsafe(ref p, i + 32); c3 += Vector512.LoadUnsafe(ref p, i + 48);
                c4 += Vector512.LoadUnsafe(ref p, i + 64); c5 += Vector512.LoadUnsafe(ref p, i + 80); c6 += Vector512.LoadUnsafe(ref p, i + 96);
                c7 += Vector512.LoadUnsafe(ref p, i + 112);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
        }
        Vector256<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default;
        for (nuint i = 0; i < (nuint)_count; i += 64)
        {
            d0 += Vector256.LoadUnsafe(ref p, i); d1 += Vector256.LoadUnsafe(ref p, i + 8); d2 += Vector256.LoadUnsafe(ref p, i + 16);
            d3 += Vector256.LoadUnsafe(ref p, i + 24); d4 += Vector256.LoadUnsafe(ref p, i + 32); d5 += Vector256.LoadUnsafe(ref p, i + 40);
            d6 += Vector256.LoadUnsafe(ref p, i + 48); d7 += Vector256.LoadUnsafe(ref p, i + 56);
        }
        return Vector256.Sum(d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7);
    }
}
