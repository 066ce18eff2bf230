using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace KernelGen.IO;

/// <summary>
/// The safetensors format (Hugging Face; what <c>safetensors.torch.load_file</c> reads): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON (<c>{"__metadata__": {str: str}, name: {"dtype", "shape",
/// "data_offsets": [begin, end]}}</c>, padded with spaces to a multiple of 8), then the tensors' little-endian
/// bytes, contiguous, offsets relative to the data section. <see cref="Save"/> writes atomically (temporary file,
/// flushed to disk, renamed over the target); <see cref="Load"/> checks everything and throws
/// <see cref="InvalidDataException"/> naming the file and the problem.
/// </summary>
public static class SafeTensors
{
    /// <summary>The header key holding the string metadata.</summary>
    public const string MetadataKey = "__metadata__";
    /// <summary>Largest header read (as the reference implementation: 100 MB).</summary>
    public const int MaxHeaderBytes = 100_000_000;
    /// <summary>
    /// The metadata entry holding the file's CRC-32C (Castagnoli, 8 lower-case hex digits), written by <see cref="Save"/>
    /// and <see cref="Serialize"/>: the checksum of the whole header (with this value as "00000000") followed by the data
    /// section, so a changed byte anywhere is found. <see cref="Parse"/> verifies it when present and removes it from
    /// <see cref="SafeTensorFile.Metadata"/>; files without it (other writers) load as before.
    /// </summary>
    public const string ChecksumKey = "kernelgen.crc32c";
    private const string ChecksumPlaceholder = "00000000";

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int SizeOf(TensorDType dtype) => dtype switch
    {
        TensorDType.BOOL or TensorDType.U8 or TensorDType.I8 or TensorDType.F8_E5M2 or TensorDType.F8_E4M3 => 1,
        TensorDType.I16 or TensorDType.U16 or TensorDType.F16 or TensorDType.BF16 => 2,
        TensorDType.I32 or TensorDType.U32 or TensorDType.F32 => 4,
        TensorDType.I64 or TensorDType.U64 or TensorDType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype."),
    };

    /// <summary>
    /// Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/> atomically: into
    /// <c>path.tmp-XXXXXXXX</c> in the same directory, flushed to disk, then renamed over <paramref name="path"/>.
    /// If anything fails the temporary file is deleted and an existing file at <paramref name="path"/> is untouched.
    /// Tensor names must be unique; they are written sorted ordinally, so the same content gives the same bytes.
    /// </summary>
    public static void Save(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        List<SafeTensor> sorted = Sorted(tensors);
        byte[] header = ChecksummedHeader(sorted, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (SafeTensor t in sorted) stream.Write(t.Data);
        });
    }

    /// <summary>The serialised bytes of <see cref="Save"/>, in memory.</summary>
    public static byte[] Serialize(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        List<SafeTensor> sorted = Sorted(tensors);
        byte[] header = ChecksummedHeader(sorted, metadata);
        var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (SafeTensor t in sorted) stream.Write(t.Data);
        return stream.ToArray();
    }

    /// <summary>Reads and checks the whole file.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file; the message names it and the problem.</exception>
    public static SafeTensorFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        long length = new FileInfo(path).Length;
        if (length > Array.MaxLength)
            throw new InvalidDataException($"{path}: {length} bytes; files over {Array.MaxLength} bytes are not read.");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Checks and parses safetensors <paramref name="bytes"/>; <paramref name="source"/> names them in errors.</summary>
    public static SafeTensorFile Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 8)
            throw Invalid(source, $"truncated: {bytes.Length} bytes; a safetensors file starts with an 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n < 2 || n > MaxHeaderBytes)
            throw Invalid(source, $"the header length is {n}; expected 2 to {MaxHeaderBytes} bytes (is this a safetensors file?).");
        if ((long)n > bytes.Length - 8)
            throw Invalid(source, $"truncated: the header length is {n} bytes but only {bytes.Length - 8} follow.");
        ReadOnlySpan<byte> header = bytes.Slice(8, (int)n);
        ReadOnlySpan<byte> data = bytes[(8 + (int)n)..];
        if (header[0] != (byte)'{')
            throw Invalid(source, $"the header starts with byte 0x{header[0]:X2}; expected '{{' (a JSON object).");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"the header is not well-formed JSON ({e.Message}).", e);
        }
        try
        {
            return Read(document, header, data, source);
        }
        catch (InvalidOperationException e)
        {
            // JsonDocument parses lazily: a name or string that is not valid UTF-8 surfaces when it is read.
            throw Invalid(source, $"the header is not valid UTF-8 JSON ({e.Message}).", e);
        }
        finally
        {
            document.Dispose();
        }
    }

    private static SafeTensorFile Read(JsonDocument document, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, string source)
    {
        {
            JsonElement root = document.RootElement;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<(string Name, TensorDType DType, int[] Shape, long Begin, long End)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (!names.Add(p.Name)) throw Invalid(source, $"the header names '{p.Name}' twice.");
                if (p.Name == MetadataKey)
                {
                    if (p.Value.ValueKind != JsonValueKind.Object)
                        throw Invalid(source, $"{MetadataKey} is {p.Value.ValueKind}; expected an object of strings.");
                    foreach (JsonProperty m in p.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Invalid(source, $"{MetadataKey}.{m.Name} is {m.Value.ValueKind}; metadata values must be strings.");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Invalid(source, $"{MetadataKey} names '{m.Name}' twice.");
                    }
                    continue;
                }
                entries.Add(Entry(source, p));
            }

            // Contiguous: sorted by offset, the first begins at 0, each begins where the previous ends, the last ends the file.
            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long at = 0;
            string previous = "the start of the data";
            foreach (var e in entries)
            {
                if (e.Begin < at)
                    throw Invalid(source, $"tensor '{e.Name}' (bytes {e.Begin}..{e.End}) overlaps {previous} (ending at {at}).");
                if (e.Begin > at)
                    throw Invalid(source, $"tensor '{e.Name}' begins at byte {e.Begin}, leaving a gap after {previous} (ending at {at}); tensors must be contiguous.");
                if (e.End > data.Length)
                    throw Invalid(source, $"truncated: tensor '{e.Name}' ends at data byte {e.End}, but the data section has {data.Length} bytes.");
                at = e.End;
                previous = $"tensor '{e.Name}'";
            }
            if (at != data.Length)
                throw Invalid(source, $"the data section has {data.Length} bytes but the tensors end at {at}: {data.Length - at} bytes of trailing data.");

            if (metadata.Remove(ChecksumKey, out string? stored)) VerifyChecksum(header, data, stored, source);

            var tensors = new List<SafeTensor>(entries.Count);
            foreach (var e in entries)
                tensors.Add(new SafeTensor(e.Name, e.DType, e.Shape, data[(int)e.Begin..(int)e.End].ToArray()));
            return new SafeTensorFile(source, metadata, tensors);
        }
    }

    private static (string, TensorDType, int[], long, long) Entry(string source, JsonProperty p)
    {
        string name = p.Name;
        if (name.Length == 0) throw Invalid(source, "a tensor has an empty name.");
        if (p.Value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"tensor '{name}' is {p.Value.ValueKind}; expected {{\"dtype\", \"shape\", \"data_offsets\"}}.");
        TensorDType? dtype = null;
        int[]? shape = null;
        long[]? offsets = null;
        foreach (JsonProperty f in p.Value.EnumerateObject())
        {
            switch (f.Name)
            {
                case "dtype":
                    if (f.Value.ValueKind != JsonValueKind.String || !TryParseDType(f.Value.GetString()!, out TensorDType d))
                        throw Invalid(source, $"tensor '{name}' has dtype {f.Value.GetRawText()}; expected one of {string.Join(", ", Enum.GetNames<TensorDType>())}.");
                    dtype = d;
                    break;
                case "shape":
                    shape = Integers(source, name, f, int.MaxValue).ConvertAll(v => (int)v).ToArray();
                    break;
                case "data_offsets":
                    List<long> o = Integers(source, name, f, long.MaxValue);
                    if (o.Count != 2 || o[0] > o[1])
                        throw Invalid(source, $"tensor '{name}' has data_offsets {f.Value.GetRawText()}; expected [begin, end] with begin ≤ end.");
                    offsets = o.ToArray();
                    break;
                default:
                    throw Invalid(source, $"tensor '{name}' has an unknown field '{f.Name}'; expected dtype, shape and data_offsets.");
            }
        }
        if (dtype is not TensorDType type || shape is null || offsets is null)
            throw Invalid(source, $"tensor '{name}' lacks {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}.");
        long bytes = SizeOf(type);
        foreach (int dim in shape)
        {
            bytes *= dim;
            if (bytes > Array.MaxLength)
                throw Invalid(source, $"tensor '{name}' has shape [{string.Join(", ", shape)}]: too large.");
        }
        if (offsets[1] - offsets[0] != bytes)
            throw Invalid(source, $"tensor '{name}' is {type} [{string.Join(", ", shape)}], {bytes} bytes, but its data_offsets [{offsets[0]}, {offsets[1]}] span {offsets[1] - offsets[0]}.");
        return (name, type, shape, offsets[0], offsets[1]);
    }

    private static List<long> Integers(string source, string name, JsonProperty f, long max)
    {
        if (f.Value.ValueKind != JsonValueKind.Array)
            throw Invalid(source, $"tensor '{name}' has {f.Name} {f.Value.GetRawText()}; expected an array of integers.");
        var values = new List<long>();
        foreach (JsonElement v in f.Value.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x) || x < 0 || x > max)
                throw Invalid(source, $"tensor '{name}' has {f.Name} {f.Value.GetRawText()}; expected integers from 0 to {max}.");
            values.Add(x);
        }
        return values;
    }

    private static bool TryParseDType(string text, out TensorDType dtype)
    {
        foreach (TensorDType d in Enum.GetValues<TensorDType>())
        {
            if (string.Equals(d.ToString(), text, StringComparison.Ordinal)) { dtype = d; return true; }
        }
        dtype = default;
        return false;
    }

    private static List<SafeTensor> Sorted(IEnumerable<SafeTensor> tensors)
    {
        var sorted = new List<SafeTensor>(tensors);
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        for (int i = 0; i < sorted.Count; i++)
        {
            if (sorted[i] is null) throw new ArgumentException("A tensor is null.", nameof(tensors));
            if (i > 0 && sorted[i].Name == sorted[i - 1].Name)
                throw new ArgumentException($"Two tensors are called '{sorted[i].Name}'; names must be unique.", nameof(tensors));
        }
        return sorted;
    }

    /// <summary>The header with <see cref="ChecksumKey"/> set to the CRC-32C of itself (value zeroed) and the data.</summary>
    private static byte[] ChecksummedHeader(List<SafeTensor> sorted, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is not null && metadata.ContainsKey(ChecksumKey))
            throw new ArgumentException($"Metadata key '{ChecksumKey}' is reserved: the writer puts the file's checksum there.", nameof(metadata));
        var withChecksum = new Dictionary<string, string>(StringComparer.Ordinal) { [ChecksumKey] = ChecksumPlaceholder };
        if (metadata is not null) foreach (KeyValuePair<string, string> kv in metadata) withChecksum[kv.Key] = kv.Value;
        byte[] header = Header(sorted, withChecksum);
        int at = ChecksumValueAt(header);
        uint crc = Crc32C.Append(Crc32C.Initial, header);
        foreach (SafeTensor t in sorted) crc = Crc32C.Append(crc, t.Data);
        Encoding.ASCII.GetBytes(Crc32C.Final(crc).ToString("x8", System.Globalization.CultureInfo.InvariantCulture), header.AsSpan(at, 8));
        return header;
    }

    /// <summary>Where the 8 hex digits of the checksum entry are in <paramref name="header"/>, or −1.</summary>
    private static int ChecksumValueAt(ReadOnlySpan<byte> header)
    {
        ReadOnlySpan<byte> key = "\"kernelgen.crc32c\":\""u8;
        int at = header.IndexOf(key);
        return at < 0 || at + key.Length + 9 > header.Length || header[at + key.Length + 8] != (byte)'"' ? -1 : at + key.Length;
    }

    private static void VerifyChecksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, string stored, string source)
    {
        int at = ChecksumValueAt(header);
        if (at < 0 || stored.Length != 8 || !uint.TryParse(stored, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out uint expected))
            throw Invalid(source, $"metadata '{ChecksumKey}' is '{stored}', not in the form KernelGen writes: the header is damaged.");
        byte[] zeroed = header.ToArray();
        Encoding.ASCII.GetBytes(ChecksumPlaceholder, zeroed.AsSpan(at, 8));
        uint actual = Crc32C.Final(Crc32C.Append(Crc32C.Append(Crc32C.Initial, zeroed), data));
        if (actual != expected)
            throw Invalid(source, $"checksum mismatch: the file says CRC-32C {stored}, its bytes give {actual:x8}; the file was damaged after it was written (nothing was loaded).");
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    private static byte[] Header(List<SafeTensor> sorted, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                var keys = new List<string>(metadata.Keys);
                keys.Sort(string.CompareOrdinal);
                json.WriteStartObject(MetadataKey);
                foreach (string key in keys)
                {
                    string value = metadata[key] ?? throw new ArgumentException($"Metadata '{key}' is null.", nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (SafeTensor t in sorted)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.ToString());
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        while (buffer.Length % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static InvalidDataException Invalid(string source, string problem, Exception? inner = null)
        => new($"{source}: {problem}", inner);
}
