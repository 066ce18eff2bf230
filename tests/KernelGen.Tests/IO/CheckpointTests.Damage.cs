using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using KernelGen.IO;
using Xunit;

namespace KernelGen.Tests;

/// <summary>Checkpoints cut short, edited or damaged: every one rejected naming the file, the target network unchanged.</summary>
public partial class CheckpointTests
{
    [Fact]
    public void Every_truncation_is_rejected_naming_the_file()
    {
        using var dir = new TempDirectory();
        string full = dir.File("full.safetensors"), path = dir.File("cut.safetensors");
        using INetwork source = Trained("MaxoutNet");
        Checkpoint.Save(source, full);
        byte[] bytes = File.ReadAllBytes(full);
        using INetwork target = Create("MaxoutNet", seed: 3);
        byte[] before = State(target);
        for (int length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(path, bytes[..length]);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(target, path));
            Assert.Contains(path, e.Message);
        }
        Assert.Equal(before, State(target));
        File.WriteAllBytes(path, bytes.Append((byte)0).ToArray());
        AssertRejected(target, path, "trailing data");
    }

    [Theory]
    [InlineData("FashionMlp")]
    [InlineData("BatchNormNet")]
    [InlineData("ActivationNet")]
    public void Sampled_truncations_are_rejected(string name)
    {
        using var dir = new TempDirectory();
        string full = dir.File("full.safetensors"), path = dir.File("cut.safetensors");
        using INetwork source = Trained(name);
        Checkpoint.Save(source, full);
        byte[] bytes = File.ReadAllBytes(full);
        using INetwork target = Create(name, seed: 3);
        byte[] before = State(target);
        long headerEnd = 8 + BitConverter.ToInt64(bytes, 0);
        var r = new Random(1);
        var lengths = new[] { 0, 7, 8, 9, (int)headerEnd - 1, (int)headerEnd, (int)headerEnd + 1, bytes.Length - 4, bytes.Length - 1 }
            .Concat(Enumerable.Range(0, 40).Select(_ => r.Next(bytes.Length)));
        foreach (int length in lengths)
        {
            File.WriteAllBytes(path, bytes[..length]);
            var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(target, path));
            Assert.Contains(path, e.Message);
        }
        Assert.Equal(before, State(target));
    }

    /// <summary>Rewrites the header JSON of a saved file (re-padded, the data section kept).</summary>
    private static void EditHeader(string path, Func<string, string> edit)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int n = (int)BitConverter.ToInt64(bytes, 0);
        // Without the checksum entry, as another writer's file: these edits test the checks behind the checksum.
        string header = edit(Regex.Replace(Encoding.UTF8.GetString(bytes, 8, n).TrimEnd(), "\"kernelgen\\.crc32c\":\"[0-9a-f]{8}\",?", ""));
        byte[] h = Encoding.UTF8.GetBytes(header + new string(' ', (8 - Encoding.UTF8.GetByteCount(header) % 8) % 8));
        File.WriteAllBytes(path, BitConverter.GetBytes((long)h.Length).Concat(h).Concat(bytes[(8 + n)..]).ToArray());
    }

    [Fact]
    public void The_checksum_is_CRC_32C()
    {
        // The standard check value of CRC-32C (Castagnoli): "123456789" → e3069283.
        Assert.Equal(0xE3069283u, KernelGen.IO.Crc32C.Final(KernelGen.IO.Crc32C.Append(KernelGen.IO.Crc32C.Initial, "123456789"u8)));
    }

    [Fact]
    public void Every_single_byte_flip_is_rejected_and_the_target_unchanged()
    {
        // Issue 18, case 4: before the checksum, 1,500 of 1,500 flips past the header loaded with changed values, and
        // some header flips silently changed base_learning_rate or weight_decay. Seeded: the same 600 flips every run.
        using var dir = new TempDirectory();
        string good = dir.File("good.safetensors"), path = dir.File("flip.safetensors");
        using INetwork source = Trained("BatchNormNet");
        Checkpoint.Save(source, good);
        Assert.Contains(SafeTensors.ChecksumKey, Encoding.UTF8.GetString(File.ReadAllBytes(good), 8, 400));
        using INetwork target = Trained("BatchNormNet", seed: 4);
        Checkpoint.Load(target, good);
        byte[] expected = State(target), bytes = File.ReadAllBytes(good);
        int headerEnd = 8 + (int)BitConverter.ToInt64(bytes, 0);
        // The one harmless place: a flip in the entry's key name turns the file into one without a checksum (another
        // writer's); it then loads, with exactly the saved values.
        int key = Encoding.UTF8.GetString(bytes, 0, headerEnd).IndexOf(SafeTensors.ChecksumKey, StringComparison.Ordinal);
        var r = new Random(18);
        int rejected = 0;
        for (int trial = 0; trial < 600; trial++)
        {
            // Half in the header (its JSON, padding and the checksum itself), half in the data.
            int at = trial % 2 == 0 ? 8 + r.Next(headerEnd - 8) : headerEnd + r.Next(bytes.Length - headerEnd);
            byte[] flipped = (byte[])bytes.Clone();
            flipped[at] ^= (byte)(1 << r.Next(8));
            File.WriteAllBytes(path, flipped);
            try
            {
                Checkpoint.Load(target, path);
                Assert.True(at >= key && at < key + SafeTensors.ChecksumKey.Length, $"a flip at byte {at} loaded");
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(path, e.Message);
                rejected++;
            }
            Assert.Equal(expected, State(target)); // nothing changed, whatever happened
        }
        Assert.True(rejected >= 590, $"{rejected} of 600 flips rejected");
    }

    [Fact]
    public void A_file_without_the_checksum_still_loads()
    {
        using var dir = new TempDirectory();
        string path = dir.File("other-writer.safetensors");
        using INetwork source = Trained("BatchNormNet");
        Checkpoint.Save(source, path);
        EditHeader(path, h => h); // drops the checksum entry, as a file from another safetensors writer
        Assert.DoesNotContain(SafeTensors.ChecksumKey, File.ReadAllText(path));
        using INetwork target = Trained("BatchNormNet", seed: 4);
        Checkpoint.Load(target, path);
        Assert.Equal(State(source), State(target));
    }

    [Fact]
    public void A_header_that_is_not_UTF8_is_InvalidDataException_naming_the_file()
    {
        // Issue 18, case 13: 586 of 3,000 header flips threw InvalidOperationException (invalid UTF-8 JSON).
        using var dir = new TempDirectory();
        string path = dir.File("utf8.safetensors");
        using INetwork source = Trained("BatchNormNet");
        Checkpoint.Save(source, path);
        EditHeader(path, h => h);
        byte[] bytes = File.ReadAllBytes(path);
        int at = Encoding.UTF8.GetString(bytes).IndexOf("\"network\":\"", StringComparison.Ordinal) + "\"network\":\"".Length;
        bytes[at] = 0xC3; // a lead byte followed by an ASCII letter: invalid UTF-8 inside a JSON string
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadMetadata(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Damaged_headers_and_values_are_rejected_and_the_target_unchanged()
    {
        using var dir = new TempDirectory();
        string good = dir.File("good.safetensors"), path = dir.File("bad.safetensors");
        using INetwork source = Trained("BatchNormNet");
        Checkpoint.Save(source, good);
        using INetwork target = Trained("BatchNormNet", seed: 4);

        void Case(Func<string, string> edit, params string[] fragments)
        {
            File.Copy(good, path, overwrite: true);
            EditHeader(path, edit);
            AssertRejected(target, path, fragments);
        }

        Case(h => h.Replace("\"L0.weight\":{", "\"L0.weight\":{,"), "not well-formed JSON");
        Case(h => h[..^1], "not well-formed JSON");
        Case(h => "[" + h[1..^1] + "]", "expected '{'");
        Case(h => h.Replace("\"L0.weight\":{\"dtype\":\"F32\"", "\"L0.weight\":{\"dtype\":\"I32\""), "'L0.weight' is I32; expected F32");
        Case(h => h.Replace("\"L0.weight\":{\"dtype\":\"F32\"", "\"L0.weight\":{\"dtype\":\"F31\""), "dtype \"F31\"");
        Case(h => h.Replace("\"shape\":[37,13]", "\"shape\":[13,37]"), "'L0.weight' has shape [13, 37]; expected [37, 13]");
        Case(h => h.Replace("\"shape\":[37,13]", "\"shape\":[37,12]"), "'L0.weight' is F32 [37, 12]");
        Case(h => h.Replace("\"shape\":[37,13]", "\"shape\":[37,-13]"), "expected integers from 0");
        Case(h => h.Replace("\"L0.weight\"", "\"L0.weights\""), "'L0.weight' [37, 13] is missing");
        Case(h => h.Replace("\"network\":\"BatchNormNet\"", "\"network\":\"FashionMlp\""), "'FashionMlp'", "expected 'BatchNormNet'");
        Case(h => h.Replace("\"step\":\"3\"", "\"step\":\"-3\""), "step is '-3'");
        Case(h => h.Replace("\"step\":\"3\"", "\"step\":3"), "metadata values must be strings");
        Case(h => h.Replace("\"format_version\":\"1\"", "\"format_version\":\"2\""), "format_version is '2'");
        Case(h => h.Replace("\"dtype\":\"F32\",", "\"dtype\":\"F32\",\"extra\":1,"), "unknown field 'extra'");

        // Offsets: shifted past the data, overlapping, leaving a gap.
        string Offsets(string h, string tensor, Func<long, long, (long, long)> move)
        {
            int at = h.IndexOf($"\"{tensor}\":{{", StringComparison.Ordinal);
            int o = h.IndexOf("\"data_offsets\":[", at, StringComparison.Ordinal) + "\"data_offsets\":[".Length;
            int close = h.IndexOf(']', o);
            long[] v = h[o..close].Split(',').Select(long.Parse).ToArray();
            (long b, long e) = move(v[0], v[1]);
            return h[..o] + $"{b},{e}" + h[close..];
        }
        long size = new FileInfo(good).Length;
        Case(h => Offsets(h, "optimizer.v.L7.weight", (b, e) => (b + size, e + size)), "optimizer.v.L7.weight");
        Case(h => Offsets(h, "L1.bias", (b, e) => (b - 4, e - 4)), "overlaps");
        Case(h => Offsets(h, "L1.bias", (b, e) => (b + 4, e + 4)), "gap");
        Case(h => Offsets(h, "L1.bias", (b, e) => (e, b)), "begin ≤ end");

        // A header length beyond the file, and a huge one.
        File.Copy(good, path, overwrite: true);
        using (var f = new FileStream(path, FileMode.Open)) { f.Write(BitConverter.GetBytes(size)); }
        AssertRejected(target, path, "truncated: the header length");
        using (var f = new FileStream(path, FileMode.Open)) { f.Write(BitConverter.GetBytes(long.MaxValue)); }
        AssertRejected(target, path, "is this a safetensors file?");
    }

    [Fact]
    public void A_NaN_in_any_tensor_is_rejected_and_the_target_unchanged()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nan.safetensors");
        using INetwork source = Trained("BatchNormNet");
        Checkpoint.Save(source, path);
        SafeTensorFile good = SafeTensors.Load(path);
        using INetwork target = Trained("BatchNormNet", seed: 4);
        foreach (string name in new[] { "L0.weight", "L1.running_var", "optimizer.v.L3.bias" })
        {
            var tensors = good.Tensors.Select(t =>
            {
                if (t.Name != name) return t;
                float[] v = t.ToFloats();
                v[v.Length / 2] = name.EndsWith("bias") ? float.PositiveInfinity : float.NaN;
                return SafeTensor.FromFloats(t.Name, t.ShapeArray(), v);
            }).ToList();
            SafeTensors.Save(path, tensors, good.Metadata);
            AssertRejected(target, path, $"tensor '{name}' holds", "every value must be finite");
        }
    }
}
