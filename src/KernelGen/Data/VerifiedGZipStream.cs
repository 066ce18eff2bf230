using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace KernelGen.Data;

/// <summary>
/// Decompresses a gzip file and, at its end, checks the data against the gzip trailer (CRC-32 and length mod 2³²,
/// RFC 1952 §2.3.1): a file cut short — which <see cref="GZipStream"/> reads as a shorter one without complaint — or
/// damaged is an <see cref="InvalidDataException"/> naming the file instead of fewer rows. The trailer checked is the
/// file's last 8 bytes, so a file of several concatenated gzip members is checked against its last member only and
/// refused unless it has one member (recompress it as one).
/// </summary>
internal sealed class VerifiedGZipStream : Stream
{
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly string _path;
    private readonly uint _expectedCrc, _expectedLength;
    private uint _crc = Crc32.Initial;
    private long _length;
    private bool _verified;

    public VerifiedGZipStream(FileStream file, string path)
    {
        _file = file;
        _path = path;
        // Header (10) + empty deflate (2) + trailer (8): anything shorter is cut.
        if (file.Length < 20) throw new InvalidDataException($"{path}: a gzip file of {file.Length} bytes is cut short (at least 20 bytes with its trailer).");
        Span<byte> trailer = stackalloc byte[8];
        file.Position = file.Length - 8;
        file.ReadExactly(trailer);
        file.Position = 0;
        _expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        _expectedLength = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        _gzip = new GZipStream(file, CompressionMode.Decompress);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _gzip.Read(buffer);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{_path}: the gzip data is damaged ({e.Message}).", e);
        }
        if (n > 0)
        {
            _crc = Crc32.Append(_crc, buffer[..n]);
            _length += n;
        }
        else if (buffer.Length > 0 && !_verified)
        {
            _verified = true;
            uint crc = ~_crc;
            if (crc != _expectedCrc || (uint)_length != _expectedLength)
                throw new InvalidDataException($"{_path}: the gzip file is cut short or damaged: its trailer says {_expectedLength} bytes with CRC-32 {_expectedCrc:x8}, " +
                    $"its data decompresses to {_length} bytes with CRC-32 {crc:x8}. Nothing was loaded.");
        }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
            _file.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of gzip's trailer; table-driven.</summary>
internal static class Crc32
{
    public const uint Initial = 0xFFFFFFFFu;
    private static readonly uint[] Table = Build();

    private static uint[] Build()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }

    /// <summary>Continues <paramref name="crc"/> (start at <see cref="Initial"/>, finish with ~) over <paramref name="bytes"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> bytes)
    {
        uint[] table = Table;
        foreach (byte b in bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }
}
