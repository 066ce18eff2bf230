using System;
using System.IO;
using System.IO.Compression;

namespace KernelGen.Data;

/// <summary>
/// The bundled handwritten digits: 1,797 images of 8×8 pixels with values 0..16, labels 0..9.
/// The test set of the UCI "Optical Recognition of Handwritten Digits" data set (E. Alpaydin,
/// C. Kaynak, 1998; CC BY 4.0), as shipped by scikit-learn.
/// </summary>
public static class Digits
{
    /// <summary>Pixels per image.</summary>
    public const int FeatureCount = 64;
    /// <summary>Classes.</summary>
    public const int ClassCount = 10;

    /// <summary>Loads the embedded data. With <paramref name="scale"/> pixels are divided by 16 (to [0, 1]).</summary>
    public static Dataset Load(bool scale = true)
    {
        using Stream resource = typeof(Digits).Assembly.GetManifestResourceStream("KernelGen.Data.digits.csv.gz")
            ?? throw new InvalidOperationException("bug: the embedded digits data is missing from the KernelGen assembly.");
        using var gzip = new GZipStream(resource, CompressionMode.Decompress);
        return Csv.ReadLabelled(gzip, "digits.csv.gz (embedded)", FeatureCount, ClassCount, scale ? 1f / 16f : 1f);
    }
}
