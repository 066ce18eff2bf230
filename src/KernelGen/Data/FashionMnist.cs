using System;
using System.Collections.Generic;
using System.IO;

namespace KernelGen.Data;

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence): 28×28 grey images of clothing in 10 classes, 60,000 for
/// training and 10,000 for testing, in the four IDX files of the original distribution (plain or gzip'd).
/// Not bundled: Debian's <c>dataset-fashion-mnist</c> package installs it in <see cref="DefaultDirectory"/>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where <c>apt-get install dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";
    /// <summary>Pixels per image (28 × 28).</summary>
    public const int FeatureCount = 28 * 28;
    /// <summary>Classes (T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot).</summary>
    public const int ClassCount = 10;

    /// <summary>The four file names, without the optional <c>.gz</c>: train images, train labels, test images, test labels.</summary>
    public static readonly string[] FileNames =
    {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    };

    /// <summary>
    /// Where the four files are: <paramref name="directory"/> when one is given (and null when it lacks any of them:
    /// a directory the caller names is used or refused, never swapped for another), otherwise
    /// <see cref="DefaultDirectory"/> when it holds them; null when not.
    /// </summary>
    public static string? Locate(string? directory = null)
    {
        if (!string.IsNullOrEmpty(directory)) return HasAllFiles(directory) ? directory : null;
        return HasAllFiles(DefaultDirectory) ? DefaultDirectory : null;
    }

    /// <summary>Loads train and test sets from <paramref name="directory"/>, pixels scaled to [0, 1].</summary>
    /// <exception cref="FileNotFoundException">A file is missing (the message says how to get the data).</exception>
    /// <exception cref="InvalidDataException">A file is malformed, not 28×28, has labels outside 0..9, or image and label counts differ.</exception>
    public static (Dataset Train, Dataset Test) Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string[] files = new string[FileNames.Length];
        for (int i = 0; i < files.Length; i++)
            files[i] = Find(directory, FileNames[i]) ?? throw NotFound(directory);
        return (LoadPart(files[0], files[1]), LoadPart(files[2], files[3]));
    }

    /// <summary>Loads from <see cref="Locate"/>(<paramref name="directory"/>), or throws <see cref="NotFound"/>.</summary>
    public static (Dataset Train, Dataset Test) LoadOrThrow(string? directory = null)
        => Load(Locate(directory) ?? throw NotFound(directory));

    /// <summary>The exception for data that is not there, saying where it was looked for and how to get it.</summary>
    public static FileNotFoundException NotFound(string? directory)
    {
        string where = string.IsNullOrEmpty(directory) ? DefaultDirectory : directory;
        if (!string.IsNullOrEmpty(directory) && Directory.Exists(directory))
        {
            var missing = new List<string>();
            foreach (string name in FileNames)
                if (Find(directory, name) is null) missing.Add(name);
            where += $" (it lacks {string.Join(", ", missing)})";
        }
        else if (!string.IsNullOrEmpty(directory))
        {
            where += " (no such directory)";
        }
        return new FileNotFoundException(
            $"Fashion-MNIST was not found in {where}: expected {string.Join(", ", FileNames)} (each optionally .gz). " +
            "Install it with `apt-get install -y dataset-fashion-mnist`, or download the four files from " +
            "https://github.com/zalandoresearch/fashion-mnist and pass --data DIR.");
    }

    private static bool HasAllFiles(string directory)
    {
        foreach (string name in FileNames)
        {
            if (Find(directory, name) is null) return false;
        }
        return true;
    }

    /// <summary>The file <paramref name="name"/> or <paramref name="name"/>.gz in <paramref name="directory"/> (plain first).</summary>
    private static string? Find(string directory, string name)
    {
        string plain = Path.Combine(directory, name);
        if (File.Exists(plain)) return plain;
        string gz = plain + ".gz";
        return File.Exists(gz) ? gz : null;
    }

    private static Dataset LoadPart(string imagesPath, string labelsPath)
    {
        IdxImages images = Idx.ReadImages(imagesPath);
        if (images.Rows != 28 || images.Columns != 28)
            throw new InvalidDataException($"{imagesPath}: images are {images.Rows}×{images.Columns} pixels; Fashion-MNIST's are 28×28.");
        int[] labels = Idx.ReadLabels(labelsPath);
        if (labels.Length != images.Count)
            throw new InvalidDataException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels; expected one label per image.");
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= ClassCount)
                throw new InvalidDataException($"{labelsPath}: label {i} is {labels[i]}; Fashion-MNIST labels are 0 to {ClassCount - 1}.");
        }
        return new Dataset(images.Pixels, labels, FeatureCount, ClassCount);
    }
}
