using System;
using System.IO;
using System.IO.Compression;

namespace KernelGen.Data;

/// <summary>Images read from an IDX file: <see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/> pixels.</summary>
/// <param name="Pixels">All pixels, image after image, each image row-major; byte values divided by 255 (to [0, 1]).</param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Pixel rows per image.</param>
/// <param name="Columns">Pixel columns per image.</param>
public sealed record IdxImages(float[] Pixels, int Count, int Rows, int Columns)
{
    /// <summary>Pixels per image (<see cref="Rows"/> × <see cref="Columns"/>).</summary>
    public int PixelsPerImage => Rows * Columns;
}

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST: a big-endian magic <c>0x0000TTDD</c> (element type TT, DD
/// dimensions), DD big-endian 32-bit sizes, then the elements. Only unsigned bytes (type 0x08) are read:
/// images (3 dimensions) and labels (1 dimension). Files may be gzip-compressed (recognised by the gzip magic
/// 1f 8b, whatever the name says). Every problem is an <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class Idx
{
    /// <summary>Magic of an unsigned-byte, 3-dimensional IDX file (images).</summary>
    public const int ImagesMagic = 0x00000803;
    /// <summary>Magic of an unsigned-byte, 1-dimensional IDX file (labels).</summary>
    public const int LabelsMagic = 0x00000801;

    // Larger images than this are not what this reader is for; the bound also keeps count × rows × cols in range.
    private const int MaxSide = 1 << 14;

    /// <summary>Reads an images file (magic 0x00000803), plain or gzip-compressed; pixels are scaled to [0, 1] by /255.</summary>
    public static IdxImages ReadImages(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using Stream stream = Open(path, out long? plainLength);
        Span<byte> header = stackalloc byte[16];
        ReadHeader(stream, path, header, ImagesMagic, "unsigned-byte images, 3 dimensions");
        int count = Dimension(header, 1, path, "image count", int.MaxValue);
        int rows = Dimension(header, 2, path, "rows per image", MaxSide);
        int columns = Dimension(header, 3, path, "columns per image", MaxSide);
        long total = (long)count * rows * columns;
        if (total > Array.MaxLength)
            throw Invalid(path, $"{count} images of {rows}×{columns} pixels is {total} values, more than one array holds.");
        CheckPlainLength(path, plainLength, header.Length, total, $"{count} images of {rows}×{columns} pixels");

        var pixels = new float[total];
        ReadBytes(stream, path, pixels.Length, $"{count} images of {rows}×{columns} pixels", (chunk, at) =>
        {
            Span<float> target = pixels.AsSpan(at, chunk.Length);
            for (int i = 0; i < chunk.Length; i++) target[i] = chunk[i] / 255f; // correctly rounded, as p / 255f
        });
        return new IdxImages(pixels, count, rows, columns);
    }

    /// <summary>Reads a labels file (magic 0x00000801), plain or gzip-compressed.</summary>
    public static int[] ReadLabels(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using Stream stream = Open(path, out long? plainLength);
        Span<byte> header = stackalloc byte[8];
        ReadHeader(stream, path, header, LabelsMagic, "unsigned-byte labels, 1 dimension");
        int count = Dimension(header, 1, path, "label count", Array.MaxLength);
        CheckPlainLength(path, plainLength, header.Length, count, $"{count} labels");

        var labels = new int[count];
        ReadBytes(stream, path, labels.Length, $"{count} labels", (chunk, at) =>
        {
            Span<int> target = labels.AsSpan(at, chunk.Length);
            for (int i = 0; i < chunk.Length; i++) target[i] = chunk[i];
        });
        return labels;
    }

    /// <summary>Opens <paramref name="path"/>, decompressing when it starts with the gzip magic; the length is known only for plain files.</summary>
    internal static Stream Open(string path, out long? plainLength)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            {
                plainLength = null;
                // GZipStream stops quietly at a cut: the trailer (CRC-32 and length of the data) is checked at the end.
                return new BufferedStream(new VerifiedGZipStream(file, path), 1 << 16);
            }
            plainLength = file.Length;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static void ReadHeader(Stream stream, string path, Span<byte> header, int expectedMagic, string meaning)
    {
        int got = ReadAtLeast(stream, path, header);
        if (got < 4)
            throw Invalid(path, $"the file ends after {got} bytes; an IDX file starts with a 4-byte magic (expected 0x{expectedMagic:X8}, {meaning}).");
        int magic = (header[0] << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
        if (magic != expectedMagic)
        {
            string hint = header[0] != 0 || header[1] != 0 ? "not an IDX file"
                : header[2] != 0x08 ? $"element type 0x{header[2]:X2}; only unsigned bytes (0x08) are read"
                : $"{header[3]} dimensions; expected {expectedMagic & 0xff}" + (header[3] == 1 ? " (is this a labels file?)" : header[3] == 3 ? " (is this an images file?)" : "");
            throw Invalid(path, $"expected magic 0x{expectedMagic:X8} ({meaning}), found 0x{magic:X8} ({hint}).");
        }
        if (got < header.Length)
            throw Invalid(path, $"the file ends after {got} bytes, inside the header ({header.Length} bytes: magic and {header.Length / 4 - 1} sizes).");
    }

    private static int Dimension(ReadOnlySpan<byte> header, int index, string path, string what, int max)
    {
        uint value = (uint)((header[4 * index] << 24) | (header[4 * index + 1] << 16) | (header[4 * index + 2] << 8) | header[4 * index + 3]);
        if (value == 0 || value > (uint)max)
            throw Invalid(path, $"the header gives {value} as the {what}; expected 1 to {max}.");
        return (int)value;
    }

    private static void CheckPlainLength(string path, long? plainLength, int headerLength, long elements, string what)
    {
        if (plainLength is not long length) return;
        long expected = headerLength + elements;
        if (length < expected)
            throw Invalid(path, $"truncated: the file has {length} bytes; the header announces {what}, {expected} bytes with the {headerLength}-byte header.");
        if (length > expected)
            throw Invalid(path, $"{length - expected} bytes of trailing data after {what} ({expected} bytes with the {headerLength}-byte header).");
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes in chunks, handing each to <paramref name="convert"/>, then checks the stream is at its end.</summary>
    private static void ReadBytes(Stream stream, string path, int count, string what, ChunkAction convert)
    {
        byte[] buffer = new byte[Math.Min(count, 1 << 16)];
        int done = 0;
        while (done < count)
        {
            int want = Math.Min(buffer.Length, count - done);
            int got = ReadAtLeast(stream, path, buffer.AsSpan(0, want));
            if (got == 0)
                throw Invalid(path, $"truncated: the data ends after {done} of {count} bytes ({what}).");
            convert(buffer.AsSpan(0, got), done);
            done += got;
        }
        Span<byte> probe = stackalloc byte[1];
        if (ReadAtLeast(stream, path, probe) != 0)
            throw Invalid(path, $"trailing data after {what} ({count} bytes of data).");
    }

    private delegate void ChunkAction(ReadOnlySpan<byte> chunk, int offset);

    /// <summary>Fills as much of <paramref name="buffer"/> as the stream has; a corrupt gzip stream becomes an error naming the file.</summary>
    private static int ReadAtLeast(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(path, $"the gzip data is corrupt ({e.Message})", e);
        }
    }

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null)
        => new($"{path}: {problem}", inner);
}
