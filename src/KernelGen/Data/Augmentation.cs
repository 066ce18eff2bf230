using System;
using KernelGen.Runtime;

namespace KernelGen.Data;

/// <summary>
/// Options of <see cref="ImageAugmentation"/> (course notes deck 001 "Data Augmentation": horizontal flips, random crops,
/// "get creative": translation, noise). Images are <see cref="Width"/> × <see cref="Height"/>, one channel, row-major
/// (pixel (x, y) at <c>y·Width + x</c>).
/// </summary>
/// <param name="Width">Pixels per image row.</param>
/// <param name="Height">Image rows.</param>
/// <param name="FlipProbability">Probability in [0, 1] of mirroring an image left ↔ right.</param>
/// <param name="MaxShift">Random shift (a crop of the zero-padded image): dx and dy each uniform in [−MaxShift, MaxShift]; 0 = off.</param>
/// <param name="NoiseStd">σ of additive Gaussian noise per pixel; 0 = off.</param>
/// <param name="Seed">Seed: the result depends only on (Seed, epoch, row id).</param>
public sealed record ImageAugmentationOptions(int Width, int Height, float FlipProbability = 0.5f, int MaxShift = 0, float NoiseStd = 0f, long Seed = 0)
{
    /// <summary>Lower clamp applied after the noise (default −∞: none).</summary>
    public float ClampMin { get; init; } = float.NegativeInfinity;
    /// <summary>Upper clamp applied after the noise (default +∞: none).</summary>
    public float ClampMax { get; init; } = float.PositiveInfinity;
}

/// <summary>
/// Seeded, in-place, allocation-free augmentation of a gathered mini-batch of images: flip (probability p), then shift by
/// (dx, dy) with zeros filled in, then Gaussian noise (then the clamp). Each image draws from its own generator
/// <see cref="Rng"/>(hash(Seed, epoch), row id), so the result depends only on (seed, epoch, row id) — not on the batch it
/// is in or its position. One scratch image is preallocated: <b>not thread-safe</b>, one caller at a time per instance.
/// </summary>
public sealed class ImageAugmentation : KernelGen.Training.IBatchTransform
{
    private readonly float[] _scratch;

    /// <summary>Checks <paramref name="options"/> and allocates the scratch image.</summary>
    public ImageAugmentation(ImageAugmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Width < 1) throw new ArgumentException($"Width is {options.Width}; expected ≥ 1.", nameof(options));
        if (options.Height < 1) throw new ArgumentException($"Height is {options.Height}; expected ≥ 1.", nameof(options));
        if ((long)options.Width * options.Height > int.MaxValue) throw new ArgumentException("Width × Height exceeds int.MaxValue.", nameof(options));
        if (!(options.FlipProbability >= 0 && options.FlipProbability <= 1)) throw new ArgumentException($"FlipProbability is {options.FlipProbability}; expected a value in [0, 1].", nameof(options));
        if (options.MaxShift < 0 || options.MaxShift >= Math.Max(options.Width, options.Height))
            throw new ArgumentException($"MaxShift is {options.MaxShift}; expected 0 to {Math.Max(options.Width, options.Height) - 1} (below the image size).", nameof(options));
        if (!(options.NoiseStd >= 0 && float.IsFinite(options.NoiseStd))) throw new ArgumentException($"NoiseStd is {options.NoiseStd}; expected a finite value ≥ 0.", nameof(options));
        if (float.IsNaN(options.ClampMin) || float.IsNaN(options.ClampMax) || options.ClampMin > options.ClampMax)
            throw new ArgumentException($"ClampMin {options.ClampMin} and ClampMax {options.ClampMax}: expected ClampMin ≤ ClampMax.", nameof(options));
        Options = options;
        _scratch = new float[options.Width * options.Height];
    }

    /// <summary>The options.</summary>
    public ImageAugmentationOptions Options { get; }

    /// <summary>Values per image, Width × Height.</summary>
    public int ImageSize => _scratch.Length;

    /// <summary>Augments <paramref name="rowCount"/> images in place; <paramref name="rowIds"/>[i] is the dataset row of image i (its
    /// identity for the random draws). Wrong lengths → <see cref="ArgumentException"/> before anything is written.</summary>
    public void Apply(Span<float> rows, int rowCount, long epoch, ReadOnlySpan<int> rowIds)
    {
        if (rowCount < 0) throw new ArgumentException($"rowCount is {rowCount}; expected ≥ 0.", nameof(rowCount));
        Guard.RowsLength(rows.Length, rowCount, ImageSize, nameof(rows), "Width × Height");
        if (rowIds.Length != rowCount) throw new ArgumentException($"rowIds has {rowIds.Length} values; expected {rowCount} (rowCount).", nameof(rowIds));
        for (int i = 0; i < rowCount; i++) Augment(rows.Slice(i * ImageSize, ImageSize), epoch, rowIds[i]);
    }

    /// <summary>As a trainer's batch transform: augments the gathered batch, each image by its dataset row.</summary>
    void KernelGen.Training.IBatchTransform.Apply(Span<float> inputs, int rows, int epoch, ReadOnlySpan<int> rowIds) => Apply(inputs, rows, epoch, rowIds);

    /// <summary>Augments one image in place (as <see cref="Apply(Span{float}, int, long, ReadOnlySpan{int})"/> does for each row).</summary>
    public void Apply(Span<float> image, long epoch, int rowId)
    {
        if (image.Length != ImageSize) throw new ArgumentException($"image has {image.Length} values; expected {ImageSize} (Width × Height).", nameof(image));
        Augment(image, epoch, rowId);
    }

    private void Augment(Span<float> image, long epoch, int rowId)
    {
        ImageAugmentationOptions o = Options;
        var rng = new Rng(Mix(o.Seed, epoch), rowId);
        // Draw every random choice in a fixed order, whether or not it is used, so options do not shift each other's streams.
        bool flip = rng.NextSingle() < o.FlipProbability;
        int dx = o.MaxShift == 0 ? 0 : rng.NextInt(2 * o.MaxShift + 1) - o.MaxShift;
        int dy = o.MaxShift == 0 ? 0 : rng.NextInt(2 * o.MaxShift + 1) - o.MaxShift;
        if (flip) FlipHorizontal(image, o.Width, o.Height);
        if (dx != 0 || dy != 0) Shift(image, o.Width, o.Height, dx, dy, _scratch);
        if (o.NoiseStd > 0 || o.ClampMin > float.NegativeInfinity || o.ClampMax < float.PositiveInfinity)
        {
            double sigma = o.NoiseStd;
            for (int i = 0; i < image.Length; i++)
            {
                float v = sigma > 0 ? (float)(image[i] + sigma * rng.NextGaussian()) : image[i];
                image[i] = Math.Clamp(v, o.ClampMin, o.ClampMax);
            }
        }
    }

    /// <summary>Mirrors each image row left ↔ right in place (pixel (x, y) ↔ (Width − 1 − x, y)); twice is the identity.</summary>
    public static void FlipHorizontal(Span<float> image, int width, int height)
    {
        CheckImage(image.Length, width, height, nameof(image));
        for (int y = 0; y < height; y++) image.Slice(y * width, width).Reverse();
    }

    /// <summary>Moves every pixel by (<paramref name="dx"/>, <paramref name="dy"/>): out(x, y) = in(x − dx, y − dy), 0 where that
    /// falls outside the image. <paramref name="scratch"/> holds at least one image.</summary>
    public static void Shift(Span<float> image, int width, int height, int dx, int dy, Span<float> scratch)
    {
        CheckImage(image.Length, width, height, nameof(image));
        if (scratch.Length < image.Length) throw new ArgumentException($"scratch has {scratch.Length} values; expected at least {image.Length} (one image).", nameof(scratch));
        if (image.Overlaps(scratch)) throw new ArgumentException("scratch overlaps image.", nameof(scratch));
        Span<float> tmp = scratch.Slice(0, image.Length);
        tmp.Clear();
        int x0 = Math.Max(0, dx), x1 = Math.Min(width, width + dx); // destination columns with a source
        for (int y = Math.Max(0, dy); y < Math.Min(height, height + dy); y++)
        {
            if (x1 <= x0) break;
            image.Slice((y - dy) * width + (x0 - dx), x1 - x0).CopyTo(tmp.Slice(y * width + x0, x1 - x0));
        }
        tmp.CopyTo(image);
    }

    private static void CheckImage(int length, int width, int height, string name)
    {
        if (width < 1 || height < 1 || length != (long)width * height)
            throw new ArgumentException($"{name} has {length} values; expected width {width} × height {height} = {(long)width * height}.", name);
    }

    private static long Mix(long seed, long epoch)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xC2B2AE3D27D4EB4FUL + 0x165667B19E3779F9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return unchecked((long)(z ^ (z >> 31)));
    }
}
