using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KernelGen.IO;

/// <summary>One named tensor: element type, shape (row-major) and its raw little-endian bytes.</summary>
public sealed class SafeTensor
{
    private readonly byte[] _data;
    private readonly int[] _shape;

    /// <summary>A tensor over raw little-endian <paramref name="data"/> (not copied); its length must be the shape's product × element size.</summary>
    public SafeTensor(string name, TensorDType dtype, int[] shape, byte[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (name == SafeTensors.MetadataKey) throw new ArgumentException($"'{SafeTensors.MetadataKey}' is reserved for the metadata.", nameof(name));
        long elements = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
            elements *= d;
            if (elements > Array.MaxLength) throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", shape)}] is too large.", nameof(shape));
        }
        if (data.LongLength != elements * SafeTensors.SizeOf(dtype))
            throw new ArgumentException($"Tensor '{name}' ({dtype} [{string.Join(", ", shape)}]) needs {elements * SafeTensors.SizeOf(dtype)} bytes; data has {data.Length}.", nameof(data));
        Name = name;
        DType = dtype;
        _shape = (int[])shape.Clone();
        _data = data;
    }

    /// <summary>The tensor's name (unique in a file).</summary>
    public string Name { get; }
    /// <summary>The element type.</summary>
    public TensorDType DType { get; }
    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public int ElementCount => _data.Length / SafeTensors.SizeOf(DType);
    /// <summary>The raw little-endian bytes.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>The shape as a new array.</summary>
    public int[] ShapeArray() => (int[])_shape.Clone();

    /// <summary>Whether the shape equals <paramref name="shape"/>.</summary>
    public bool HasShape(ReadOnlySpan<int> shape) => shape.SequenceEqual(_shape);

    /// <summary>An F32 tensor holding a copy of <paramref name="values"/>.</summary>
    public static SafeTensor FromFloats(string name, int[] shape, ReadOnlySpan<float> values)
        => new(name, TensorDType.F32, shape, ToBytes(MemoryMarshal.AsBytes(values), 4));

    /// <summary>An I32 tensor holding a copy of <paramref name="values"/>.</summary>
    public static SafeTensor FromInt32s(string name, int[] shape, ReadOnlySpan<int> values)
        => new(name, TensorDType.I32, shape, ToBytes(MemoryMarshal.AsBytes(values), 4));

    /// <summary>An I64 tensor holding a copy of <paramref name="values"/>.</summary>
    public static SafeTensor FromInt64s(string name, int[] shape, ReadOnlySpan<long> values)
        => new(name, TensorDType.I64, shape, ToBytes(MemoryMarshal.AsBytes(values), 8));

    /// <summary>The values of an F32 tensor, bit-exact (throws <see cref="InvalidOperationException"/> for another type).</summary>
    public float[] ToFloats() => ReadAs<float>(TensorDType.F32);
    /// <summary>The values of an I32 tensor.</summary>
    public int[] ToInt32s() => ReadAs<int>(TensorDType.I32);
    /// <summary>The values of an I64 tensor.</summary>
    public long[] ToInt64s() => ReadAs<long>(TensorDType.I64);

    /// <summary>Copies the F32 values into <paramref name="destination"/> (same length).</summary>
    public void CopyTo(Span<float> destination)
    {
        if (DType != TensorDType.F32) throw new InvalidOperationException($"Tensor '{Name}' is {DType}, not F32.");
        if (destination.Length != ElementCount) throw new ArgumentException($"Tensor '{Name}' has {ElementCount} values; destination has {destination.Length}.", nameof(destination));
        Span<byte> bytes = MemoryMarshal.AsBytes(destination);
        _data.CopyTo(bytes);
        if (!BitConverter.IsLittleEndian) Swap(bytes, 4);
    }

    private T[] ReadAs<T>(TensorDType expected) where T : unmanaged
    {
        if (DType != expected) throw new InvalidOperationException($"Tensor '{Name}' is {DType}, not {expected}.");
        var values = new T[ElementCount];
        Span<byte> bytes = MemoryMarshal.AsBytes(values.AsSpan());
        _data.CopyTo(bytes);
        if (!BitConverter.IsLittleEndian) Swap(bytes, SafeTensors.SizeOf(expected));
        return values;
    }

    private static byte[] ToBytes(ReadOnlySpan<byte> native, int size)
    {
        byte[] bytes = native.ToArray();
        if (!BitConverter.IsLittleEndian) Swap(bytes, size);
        return bytes;
    }

    private static void Swap(Span<byte> bytes, int size)
    {
        if (size == 4) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(bytes), MemoryMarshal.Cast<byte, int>(bytes));
        else if (size == 8) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, long>(bytes), MemoryMarshal.Cast<byte, long>(bytes));
    }
}
