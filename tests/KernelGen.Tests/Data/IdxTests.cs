using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using KernelGen.Data;
using Xunit;

namespace KernelGen.Tests;

/// <summary>The IDX reader on small synthetic files (plain and gzip'd), bad files, and the real Fashion-MNIST when installed.</summary>
public class IdxTests
{
    private static byte[] Header(int magic, params int[] sizes)
    {
        var bytes = new byte[4 + 4 * sizes.Length];
        void Put(int at, int v) { bytes[at] = (byte)(v >> 24); bytes[at + 1] = (byte)(v >> 16); bytes[at + 2] = (byte)(v >> 8); bytes[at + 3] = (byte)v; }
        Put(0, magic);
        for (int i = 0; i < sizes.Length; i++) Put(4 + 4 * i, sizes[i]);
        return bytes;
    }

    private static byte[] ImagesFile(byte[] pixels, int count, int rows, int cols) => Header(Idx.ImagesMagic, count, rows, cols).Concat(pixels).ToArray();
    private static byte[] LabelsFile(byte[] labels) => Header(Idx.LabelsMagic, labels.Length).Concat(labels).ToArray();

    private static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var file = File.Create(path);
        using var z = new GZipStream(file, CompressionLevel.Fastest);
        z.Write(bytes);
    }

    [Fact]
    public void Images_and_labels_round_trip_plain_and_gzip()
    {
        using var dir = new TempDirectory();
        Gen<(int Count, int Rows, int Cols, bool Gzip)> gen =
            from count in Gen.Choose(1, 5)
            from rows in Gen.Choose(1, 7)
            from cols in Gen.Choose(1, 6)
            from gzip in Gen.Elements(false, true)
            select (count, rows, cols, gzip);
        Prop.ForAll(gen.ToArbitrary(), t =>
            {
                (int count, int rows, int cols, bool gzip) = t;
                var r = new Random(count * 100 + rows * 10 + cols);
                byte[] pixels = new byte[count * rows * cols];
                r.NextBytes(pixels);
                byte[] labels = pixels.Take(count).ToArray();
                // The name never says .gz: the reader goes by the content.
                string images = dir.File("images"), labelsPath = dir.File("labels");
                Write(images, ImagesFile(pixels, count, rows, cols), gzip);
                Write(labelsPath, LabelsFile(labels), gzip);
                IdxImages read = Idx.ReadImages(images);
                Assert.Equal((count, rows, cols), (read.Count, read.Rows, read.Columns));
                Assert.Equal(pixels.Select(p => p / 255f), read.Pixels);
                Assert.Equal(labels.Select(l => (int)l), Idx.ReadLabels(labelsPath));
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Large_files_cross_the_read_buffer()
    {
        using var dir = new TempDirectory();
        byte[] pixels = Enumerable.Range(0, 300 * 28 * 28).Select(i => (byte)(i * 7)).ToArray();
        foreach (bool gzip in new[] { false, true })
        {
            Write(dir.File("i"), ImagesFile(pixels, 300, 28, 28), gzip);
            IdxImages read = Idx.ReadImages(dir.File("i"));
            Assert.Equal(pixels.Length, read.Pixels.Length);
            Assert.Equal(pixels[^1] / 255f, read.Pixels[^1]);
            Assert.Equal(pixels[65536] / 255f, read.Pixels[65536]);
        }
    }

    private static InvalidDataException Rejected(string path, Action read, string problem)
    {
        var e = Assert.Throws<InvalidDataException>(read);
        Assert.Contains(path, e.Message);
        Assert.Contains(problem, e.Message);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_labels_file_read_as_images_names_both_magics(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = dir.File("train-images-idx3-ubyte.gz");
        Write(path, LabelsFile(new byte[] { 1, 2, 3 }), gzip);
        Rejected(path, () => Idx.ReadImages(path), "expected magic 0x00000803 (unsigned-byte images, 3 dimensions), found 0x00000801");
        string images = dir.File("images");
        Write(images, ImagesFile(new byte[4], 1, 2, 2), gzip);
        Rejected(images, () => Idx.ReadLabels(images), "expected magic 0x00000801 (unsigned-byte labels, 1 dimension), found 0x00000803");
    }

    [Fact]
    public void Bad_headers_are_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("x");
        File.WriteAllBytes(path, new byte[] { 0x50, 0x4b, 3, 4, 0, 0, 0, 0 });
        Rejected(path, () => Idx.ReadLabels(path), "not an IDX file");
        File.WriteAllBytes(path, Header(0x00000D03, 1, 1, 1).Append((byte)0).ToArray());
        Rejected(path, () => Idx.ReadImages(path), "element type 0x0D");
        File.WriteAllBytes(path, Header(0x00000802, 1, 1).Append((byte)0).ToArray());
        Rejected(path, () => Idx.ReadImages(path), "2 dimensions; expected 3");
        File.WriteAllBytes(path, Header(Idx.ImagesMagic, 0, 28, 28));
        Rejected(path, () => Idx.ReadImages(path), "0 as the image count");
        File.WriteAllBytes(path, Header(Idx.ImagesMagic, 1, 28, -1));
        Rejected(path, () => Idx.ReadImages(path), "as the columns per image");
        File.WriteAllBytes(path, Array.Empty<byte>());
        Rejected(path, () => Idx.ReadImages(path), "ends after 0 bytes");
        File.WriteAllBytes(path, Header(Idx.ImagesMagic, 1, 2).ToArray());
        Rejected(path, () => Idx.ReadImages(path), "inside the header");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_and_trailing_data_are_named(bool gzip)
    {
        using var dir = new TempDirectory();
        string path = dir.File("images");
        byte[] whole = ImagesFile(new byte[2 * 3 * 3], 2, 3, 3);
        foreach (int length in new[] { 17, 20, whole.Length - 1 })
        {
            Write(path, whole[..length], gzip);
            Rejected(path, () => Idx.ReadImages(path), "truncated");
        }
        Write(path, whole.Append((byte)9).ToArray(), gzip);
        Rejected(path, () => Idx.ReadImages(path), "trailing data");
        string labels = dir.File("labels");
        Write(labels, LabelsFile(new byte[5])[..10], gzip);
        Rejected(labels, () => Idx.ReadLabels(labels), "truncated");
    }

    [Fact]
    public void A_truncated_gzip_stream_is_an_error_naming_the_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("images.gz");
        Write(path, ImagesFile(Enumerable.Range(0, 500 * 9).Select(i => (byte)(i * 31)).ToArray(), 500, 3, 3), gzip: true);
        byte[] compressed = File.ReadAllBytes(path);
        File.WriteAllBytes(path, compressed[..(compressed.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void FashionMnist_rejects_mismatched_counts_naming_both_files()
    {
        using var dir = new TempDirectory();
        byte[] pixels = new byte[3 * 784];
        Write(dir.File("train-images-idx3-ubyte"), ImagesFile(pixels, 3, 28, 28), false);
        Write(dir.File("train-labels-idx1-ubyte.gz"), LabelsFile(new byte[] { 1, 2 }), true);
        Write(dir.File("t10k-images-idx3-ubyte"), ImagesFile(pixels, 3, 28, 28), false);
        Write(dir.File("t10k-labels-idx1-ubyte"), LabelsFile(new byte[] { 1, 2, 3 }), false);
        Assert.Equal(dir.Path, FashionMnist.Locate(dir.Path));
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path));
        Assert.Contains(dir.File("train-images-idx3-ubyte"), e.Message);
        Assert.Contains(dir.File("train-labels-idx1-ubyte.gz"), e.Message);
        Assert.Contains("3 images", e.Message);
        Assert.Contains("2 labels", e.Message);

        Write(dir.File("train-labels-idx1-ubyte.gz"), LabelsFile(new byte[] { 1, 2, 10 }), true);
        e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir.Path));
        Assert.Contains("label 2 is 10", e.Message);

        Write(dir.File("train-labels-idx1-ubyte.gz"), LabelsFile(new byte[] { 1, 2, 9 }), true);
        (Dataset train, Dataset test) = FashionMnist.Load(dir.Path);
        Assert.Equal(new[] { 1, 2, 9 }, train.Labels);
        Assert.Equal(3, test.Count);
    }

    [Fact]
    public void FashionMnist_missing_files_say_how_to_get_them()
    {
        using var dir = new TempDirectory();
        // Issue 18, case 3: a directory the user names is used or refused; it never falls back to the default one.
        Assert.Null(FashionMnist.Locate(dir.Path));
        Assert.Null(FashionMnist.Locate(Path.Combine(dir.Path, "no-such-dir")));
        Assert.Contains("no such directory", FashionMnist.NotFound(Path.Combine(dir.Path, "no-such-dir")).Message);
        Assert.Contains("it lacks train-images-idx3-ubyte", FashionMnist.NotFound(dir.Path).Message);
        Assert.Throws<FileNotFoundException>(() => FashionMnist.LoadOrThrow(dir.Path));
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(dir.Path));
        Assert.Contains(dir.Path, e.Message);
        Assert.Contains("apt-get install -y dataset-fashion-mnist", e.Message);
        Assert.Contains("--data DIR", e.Message);
    }

    [Fact]
    public void The_installed_FashionMnist_loads()
    {
        string? dir = FashionMnist.Locate(null);
        if (dir is null)
        {
            Console.WriteLine($"skipped: Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory} (apt-get install -y dataset-fashion-mnist)");
            return;
        }
        (Dataset train, Dataset test) = FashionMnist.Load(dir);
        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);
        Assert.Equal(784, train.FeatureCount);
        Assert.Equal(10, train.ClassCount);
        Assert.All(train.Labels.Concat(test.Labels), l => Assert.InRange(l, 0, 9));
        Assert.Equal(Enumerable.Range(0, 10), train.Labels.Distinct().OrderBy(l => l));
        float min = float.MaxValue, max = float.MinValue;
        foreach (float p in train.Features) { min = Math.Min(min, p); max = Math.Max(max, p); }
        Assert.Equal((0f, 1f), (min, max));
    }
}
