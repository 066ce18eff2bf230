using System;
using System.Buffers.Binary;

namespace KernelGen.IO;

/// <summary>CRC-32C (Castagnoli) over bytes with the processor's CRC32 instruction (<see cref="System.Numerics.BitOperations.Crc32C(uint, ulong)"/>,
/// SSE4.2 / ARMv8 CRC32, with the runtime's software fallback elsewhere).</summary>
internal static class Crc32C
{
    public const uint Initial = 0xFFFFFFFFu;

    public static uint Final(uint crc) => ~crc;

    public static uint Append(uint crc, ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
            crc = System.Numerics.BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(i)));
        for (; i < bytes.Length; i++)
            crc = System.Numerics.BitOperations.Crc32C(crc, bytes[i]);
        return crc;
    }
}
