using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KernelGen.Runtime;

/// <summary>
/// One zeroed, 64-byte-aligned block of native floats, freed by <see cref="Dispose"/> (or the finalizer).
/// Generated networks carve their parameters, gradients and workspace out of three of these.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class AlignedBuffer : IDisposable
{
    /// <summary>Alignment of every block and every view the generator carves out of it, in bytes.</summary>
    public const int Alignment = 64;

    private float* _data;

    /// <summary>Allocates <paramref name="length"/> zeroed floats.</summary>
    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        nuint bytes = (nuint)Math.Max(length, 1) * sizeof(float);
        _data = (float*)NativeMemory.AlignedAlloc(bytes, Alignment);
        NativeMemory.Clear(_data, bytes);
    }

    /// <summary>Number of floats.</summary>
    public int Length { get; }

    /// <summary>Reference to the first float; throws when disposed.</summary>
    public ref float Ref
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_data == null) ThrowDisposed();
            return ref *_data;
        }
    }

    /// <summary>The whole block as a span; throws when disposed.</summary>
    public Span<float> Span => new(Unsafe.AsPointer(ref Ref), Length);

    /// <summary>A view of <paramref name="length"/> floats from <paramref name="offset"/>.</summary>
    public Span<float> Slice(int offset, int length) => Span.Slice(offset, length);

    /// <summary>Frees the memory. Later access throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the memory if the owner forgot to.</summary>
    ~AlignedBuffer() => Free();

    private void Free()
    {
        float* data = _data;
        _data = null;
        if (data != null) NativeMemory.AlignedFree(data);
    }

    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(AlignedBuffer), "The network has been disposed.");
}
